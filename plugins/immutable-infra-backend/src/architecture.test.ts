import fs from 'node:fs';
import path from 'node:path';

// The backend's layout, as docs/architecture.md draws it: one folder per
// capability, imports pointing one way. These tests read the source.

const SRC = __dirname;

/**
 * Which folders each folder may import from. Files at the root (plugin,
 * services, index) wire everything and may import anything.
 */
const ALLOWED: Record<string, string[]> = {
  config: [],
  database: [],
  providers: [],
  drift: ['providers'],
  audit: ['database'],
  catalog: ['audit', 'database'],
  registry: ['audit', 'catalog', 'database', 'providers'],
  fleet: ['audit', 'catalog', 'database', 'drift', 'providers', 'registry'],
  entities: ['audit', 'catalog', 'database', 'drift', 'fleet', 'registry'],
  rollouts: [
    'audit',
    'catalog',
    'database',
    'drift',
    'fleet',
    'providers',
    'registry',
  ],
  adoption: [
    'audit',
    'catalog',
    'database',
    'drift',
    'entities',
    'fleet',
    'registry',
    'rollouts',
  ],
  http: ['adoption', 'audit', 'entities', 'fleet', 'registry', 'rollouts'],
  events: ['catalog', 'fleet', 'providers'],
  remediation: [
    'audit',
    'catalog',
    'config',
    'database',
    'drift',
    'entities',
    'fleet',
    'rollouts',
  ],
};

type SourceFile = { file: string; folder: string; text: string };

function sourceFiles(): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__testUtils__') {
          walk(full);
        }
      } else if (
        /\.tsx?$/.test(entry.name) &&
        !/\.test\.tsx?$/.test(entry.name)
      ) {
        const rel = path.relative(SRC, full);
        files.push({
          file: rel,
          folder: rel.includes(path.sep) ? rel.split(path.sep)[0] : '',
          text: fs.readFileSync(full, 'utf8'),
        });
      }
    }
  };
  walk(SRC);
  return files;
}

/** Relative imports of a file: the folder each points into, and whether type-only. */
function importsOf(file: SourceFile) {
  const found: { folder: string; typeOnly: boolean; spec: string }[] = [];
  const pattern = /import\s+(type\s+)?[^;]*?from\s+'(\.{1,2}\/[^']+)'/gs;
  for (const match of file.text.matchAll(pattern)) {
    const target = path.relative(
      SRC,
      path.resolve(path.dirname(path.join(SRC, file.file)), match[2]),
    );
    found.push({
      folder: target.includes(path.sep) ? target.split(path.sep)[0] : '',
      typeOnly: Boolean(match[1]),
      spec: match[2],
    });
  }
  return found;
}

/**
 * The rollout engine: what a tick runs. It reaches AWS only through
 * FleetOperator.ts, which is handed the provider (observe.ts and
 * launches.ts act for it with the provider it passes them); the service
 * and the planner (RolloutService.ts, RolloutPlanner.ts, targetGroups.ts)
 * and the operator's alarms.ts and probe.ts are not the engine.
 */
const ENGINE = [
  'RolloutEngine.ts',
  'transitions.ts',
  'prepare.ts',
  'finish.ts',
  'cleanUp.ts',
  'decide.ts',
  'observe.ts',
  'launches.ts',
  `steps${path.sep}`,
].map(f => path.join('rollouts', f));

function inEngine(file: string, entry: string) {
  return entry.endsWith(path.sep) ? file.startsWith(entry) : file === entry;
}

/** The names a module exports as types alone: interfaces and type aliases. */
function typeExports(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8');
  return new Set(
    [
      ...text.matchAll(/^export\s+(?:declare\s+)?(?:interface|type)\s+(\w+)/gm),
    ].map(m => m[1]),
  );
}

/**
 * What a file imports (or re-exports) from providers/ that is more than a
 * type: a value, a default or namespace import, a module loaded for its
 * effects. A name counts as a type when the statement or the name says
 * `type`, or when the module exports it as an interface or a type alias.
 */
function valueImportsFromProviders(file: SourceFile): string[] {
  const providers = path.join(SRC, 'providers');
  const found: string[] = [];
  const statement =
    /(?:^|[;\n])\s*(?:import|export)\s+(type\s+)?(?:(\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?)\s+from\s+)?'([^']+)'/g;
  for (const [, typeOnly, clause, spec] of file.text.matchAll(statement)) {
    const target = path.resolve(path.dirname(path.join(SRC, file.file)), spec);
    if (!target.startsWith(providers + path.sep) || typeOnly) {
      continue;
    }
    const module = [
      `${target}.ts`,
      `${target}.tsx`,
      path.join(target, 'index.ts'),
    ].find(f => fs.existsSync(f));
    if (!clause || !clause.startsWith('{') || !module) {
      found.push(`${file.file}: ${clause ?? 'the module itself'} from ${spec}`);
      continue;
    }
    const types = typeExports(module);
    for (const element of clause.slice(1, -1).split(',')) {
      const [name] = element.trim().split(/\s+as\s+/);
      if (name && !name.startsWith('type ') && !types.has(name)) {
        found.push(`${file.file}: ${name} from ${spec}`);
      }
    }
  }
  for (const [, spec] of file.text.matchAll(
    /(?:import|require)\(\s*'([^']+)'/g,
  )) {
    const target = path.resolve(path.dirname(path.join(SRC, file.file)), spec);
    if (target.startsWith(providers + path.sep)) {
      found.push(`${file.file}: loads ${spec}`);
    }
  }
  return found;
}

describe('the backend layout', () => {
  const files = sourceFiles();

  it('has every file in a known folder', () => {
    const unknown = files
      .map(f => f.folder)
      .filter(folder => folder && !(folder in ALLOWED));
    expect(unknown).toEqual([]);
  });

  it('imports only in the allowed direction, so folders form no cycle', () => {
    const violations: string[] = [];
    for (const file of files.filter(f => f.folder)) {
      for (const { folder } of importsOf(file)) {
        if (folder !== file.folder && !ALLOWED[file.folder].includes(folder)) {
          violations.push(`${file.file} imports from ${folder || 'the root'}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps drift pure: outside -common it imports types only', () => {
    const impure = files
      .filter(f => f.folder === 'drift')
      .flatMap(f =>
        importsOf(f)
          .filter(i => i.folder !== 'drift' && !i.typeOnly)
          .map(i => `${f.file} imports ${i.spec}`),
      );
    const packages = files
      .filter(f => f.folder === 'drift')
      .flatMap(f =>
        [...f.text.matchAll(/from\s+'([^.][^']*)'/g)]
          .map(m => m[1])
          .filter(p => p !== '@immutable-infra/backstage-plugin-common')
          .map(p => `${f.file} imports ${p}`),
      );
    expect([...impure, ...packages]).toEqual([]);
  });

  it('opens transactions and bumps the read-model generation only in writeTransaction', () => {
    const writers = files
      .filter(
        f =>
          /\.transaction\(/.test(f.text) ||
          /bumpReadModelGeneration\(/.test(f.text),
      )
      .map(f => f.file)
      .filter(f => f !== path.join('database', 'readModelGeneration.ts'));
    expect(writers).toEqual([path.join('audit', 'writeTransaction.ts')]);
  });

  it('keeps the rollout engine off the providers: AWS only through FleetOperator.ts, types alone imported', () => {
    const engine = files.filter(f => ENGINE.some(e => inEngine(f.file, e)));
    // Each file the rule names is still there: a rename would leave it unchecked.
    expect(ENGINE.filter(e => !engine.some(f => inEngine(f.file, e)))).toEqual(
      [],
    );
    expect(engine.flatMap(valueImportsFromProviders)).toEqual([]);
  });

  it('tells a type from a value in an import from providers/', () => {
    const file = (text: string) => ({
      file: path.join('rollouts', 'steps', 'example.ts'),
      folder: 'rollouts',
      text,
    });
    expect(
      valueImportsFromProviders(
        file(`import {
  ImageLocation,
  groupByLocation as byLocation,
} from '../../providers/ImageProvider';
import type { Ec2RolloutProvider } from '../../providers/aws/Ec2RolloutProvider';
import { type AwsClientFactory, chunks } from '../../providers/aws/chunks';
import * as rollout from '../../providers/RolloutProvider';
import { RolloutProvider } from '../../providers/RolloutProvider';
export { isInstanceNotInGroup } from '../../providers/aws/Ec2RolloutProvider';
const later = () => import('../../providers/aws/AwsClientFactory');
import { decide } from '../decide';`),
      ),
    ).toEqual([
      `${path.join(
        'rollouts',
        'steps',
        'example.ts',
      )}: groupByLocation from ../../providers/ImageProvider`,
      `${path.join(
        'rollouts',
        'steps',
        'example.ts',
      )}: chunks from ../../providers/aws/chunks`,
      `${path.join(
        'rollouts',
        'steps',
        'example.ts',
      )}: * as rollout from ../../providers/RolloutProvider`,
      `${path.join(
        'rollouts',
        'steps',
        'example.ts',
      )}: isInstanceNotInGroup from ../../providers/aws/Ec2RolloutProvider`,
      `${path.join(
        'rollouts',
        'steps',
        'example.ts',
      )}: loads ../../providers/aws/AwsClientFactory`,
    ]);
  });

  it('calls the AWS SDK only from providers/aws', () => {
    const callers = files
      .filter(f => /from\s+'@aws-sdk\//.test(f.text))
      .map(f => f.file)
      .filter(f => !f.startsWith(path.join('providers', 'aws')));
    expect(callers).toEqual([]);
  });
});
