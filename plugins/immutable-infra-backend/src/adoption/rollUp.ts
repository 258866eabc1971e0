import { FigureSet, groupOf } from './figures';
import {
  AdoptionFigures,
  AdoptionGrouping,
  AdoptionSnapshot,
  GroupTree,
  RollUpRow,
} from './types';

/** The group and the groups above it, nearest first; no cycle followed. @internal */
export function ancestorsOf(group: string, tree: GroupTree): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  for (
    let at: string | undefined = group;
    at !== undefined && !seen.has(at);
    at = tree.get(at)?.parent
  ) {
    seen.add(at);
    chain.push(at);
  }
  return chain;
}

/** The groups at or below each of `groups`. @internal */
export function descendantsOf(groups: string[], tree: GroupTree): Set<string> {
  const below = new Set<string>();
  const wanted = new Set(groups);
  for (const group of new Set([...tree.keys(), ...groups])) {
    if (ancestorsOf(group, tree).some(g => wanted.has(g))) {
      below.add(group);
    }
  }
  return below;
}

/**
 * The figures of the snapshots, and per owner, system or domain. By owner,
 * each component counts for its owner and every group above it, so a
 * department's row holds its teams' components and each team's row its own.
 * Components without a value are under `(none)`.
 *
 * @internal
 */
export function rollUp(
  snapshots: AdoptionSnapshot[],
  by: AdoptionGrouping,
  tree: GroupTree = new Map(),
): { figures: AdoptionFigures; rows: RollUpRow[] } {
  const all = new FigureSet();
  const rows = new Map<string, { figures: FigureSet; direct: number }>();
  const row = (key: string) => {
    let found = rows.get(key);
    if (!found) {
      found = { figures: new FigureSet(), direct: 0 };
      rows.set(key, found);
    }
    return found;
  };
  for (const s of snapshots) {
    const key = s[by] ?? '(none)';
    const keys = by === 'owner' && s.owner ? ancestorsOf(s.owner, tree) : [key];
    row(key).direct += 1;
    const group = groupOf(s);
    all.add(group);
    for (const k of keys) {
      row(k).figures.add(group);
    }
  }
  const byKey = [...rows.entries()]
    .map(([key, { figures, direct }]) => {
      const result: RollUpRow = {
        key,
        directServices: direct,
        figures: figures.build(),
      };
      if (by === 'owner' && key !== '(none)') {
        const chain = ancestorsOf(key, tree);
        result.parent = chain[1];
        result.depth = chain.length - 1;
      }
      return result;
    })
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  return { figures: all.build(), rows: byKey };
}
