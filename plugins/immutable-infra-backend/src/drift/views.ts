import {
  DriftResponse,
  FleetInstanceView,
  FleetSummary,
  ImageAgeResponse,
} from '@immutable-infra/backstage-plugin-common';
import { FleetAnalysis } from './FleetAnalyzer';
import { countBySeverity, groupFindings } from './grouping';

const DAY = 86_400_000;

/**
 * The value at quantile `q` of ascending values (nearest rank), undefined
 * for none.
 *
 * @internal
 */
export function quantile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) {
    return undefined;
  }
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Image age in whole days of each instance, when its image is registered. */
function imageAgeDays(
  analysis: FleetAnalysis,
  imageId: string | undefined,
  now: number,
) {
  const version = imageId ? analysis.versionsByImage.get(imageId) : undefined;
  return version
    ? Math.floor((now - Date.parse(version.createdAt)) / DAY)
    : undefined;
}

/** Instances with their version, image age and the rules they break. @internal */
export function instanceViews(
  analysis: FleetAnalysis,
  now = Date.now(),
): FleetInstanceView[] {
  const rulesOf = new Map<string, Set<FleetInstanceView['rules'][number]>>();
  for (const finding of analysis.findings) {
    if (finding.instanceId) {
      const set = rulesOf.get(finding.instanceId) ?? new Set();
      set.add(finding.rule);
      rulesOf.set(finding.instanceId, set);
    }
  }
  return analysis.inventory.instances.map(i => ({
    instanceId: i.instanceId,
    environment: i.environment,
    region: i.region,
    account: i.account,
    imageId: i.imageId,
    version: i.imageId
      ? analysis.versionsByImage.get(i.imageId)?.id
      : undefined,
    imageAgeDays: imageAgeDays(analysis, i.imageId, now),
    launchTime: i.launchTime,
    state: i.state,
    asg: i.asg,
    sshExposure: i.sshExposure,
    keyName: i.keyName,
    rules: [...(rulesOf.get(i.instanceId) ?? [])],
    firstSeenAt: i.firstSeenAt,
    lastSeenAt: i.lastSeenAt,
  }));
}

/** The drift answer: findings grouped by root cause. @internal */
export function driftView(
  entityRef: string,
  analysis: FleetAnalysis,
): DriftResponse {
  return {
    entityRef,
    counts: countBySeverity(analysis.findings),
    groups: groupFindings(analysis.findings),
    sync: analysis.sync,
  };
}

/**
 * The drift answer with at most `bound` findings and instance ids a group
 * (its count and environments stay those of the whole group); the answer
 * itself when there is no bound.
 *
 * @internal
 */
export function withFindingsPerGroup(
  view: DriftResponse,
  bound: number | undefined,
): DriftResponse {
  if (bound === undefined) {
    return view;
  }
  return {
    ...view,
    groups: view.groups.map(group => ({
      ...group,
      findings: group.findings.slice(0, bound),
      instanceIds: group.instanceIds.slice(0, bound),
    })),
  };
}

/** Image age per environment against policy, and versions in use. @internal */
export function imageAgeView(options: {
  entityRef: string;
  analysis: FleetAnalysis;
  environments: string[];
  policyDays: number;
  now?: number;
  /** The analysis's instance views at `now`, when already made. */
  views?: FleetInstanceView[];
}): ImageAgeResponse {
  const now = options.now ?? Date.now();
  const views = options.views ?? instanceViews(options.analysis, now);
  const names = [
    ...options.environments,
    ...new Set(
      views
        .map(v => v.environment ?? 'untagged')
        .filter(e => !options.environments.includes(e)),
    ),
  ];
  const environments = names.map(environment => {
    const ages = views
      .filter(v => (v.environment ?? 'untagged') === environment)
      .map(v => v.imageAgeDays)
      .filter((a): a is number => a !== undefined)
      .sort((a, b) => a - b);
    const count = views.filter(
      v => (v.environment ?? 'untagged') === environment,
    ).length;
    const maxDays = ages.length ? ages[ages.length - 1] : undefined;
    return {
      environment,
      instances: count,
      medianDays: quantile(ages, 0.5),
      p95Days: quantile(ages, 0.95),
      maxDays,
      policyDays: options.policyDays,
      withinPolicy: maxDays === undefined || maxDays <= options.policyDays,
    };
  });
  const byImage = new Map<
    string,
    { version?: string; ageDays?: number; instances: number }
  >();
  for (const view of views) {
    if (!view.imageId) {
      continue;
    }
    const entry = byImage.get(view.imageId) ?? {
      version: view.version,
      ageDays: view.imageAgeDays,
      instances: 0,
    };
    entry.instances += 1;
    byImage.set(view.imageId, entry);
  }
  return {
    entityRef: options.entityRef,
    policyDays: options.policyDays,
    environments,
    versionsInUse: [...byImage.entries()]
      .map(([imageId, e]) => ({ imageId, ...e }))
      .sort((a, b) => b.instances - a.instances),
    sync: options.analysis.sync,
  };
}

/** The fleet part of the summary. @internal */
export function fleetSummary(options: {
  analysis: FleetAnalysis;
  environments: string[];
  now?: number;
}): FleetSummary {
  const { analysis } = options;
  const now = options.now ?? Date.now();
  // One pass over the fleet: the summary is on every entity page.
  const running = new Map<
    string,
    Map<string, { version?: string; instances: number }>
  >(options.environments.map(e => [e, new Map()]));
  let oldestImageDays: number | undefined;
  for (const instance of analysis.inventory.instances) {
    if (!instance.imageId) {
      continue;
    }
    const version = analysis.versionsByImage.get(instance.imageId);
    if (version) {
      const age = Math.floor((now - Date.parse(version.createdAt)) / DAY);
      oldestImageDays =
        oldestImageDays === undefined ? age : Math.max(oldestImageDays, age);
    }
    const byImage = instance.environment
      ? running.get(instance.environment)
      : undefined;
    if (byImage) {
      const entry = byImage.get(instance.imageId);
      if (entry) {
        entry.instances += 1;
      } else {
        byImage.set(instance.imageId, { version: version?.id, instances: 1 });
      }
    }
  }
  return {
    score: analysis.score,
    counts: countBySeverity(analysis.findings),
    instances: analysis.inventory.instances.length,
    sync: analysis.sync,
    oldestImageDays,
    environments: options.environments.map(environment => ({
      environment,
      channelVersion: analysis.channels.find(c => c.name === environment)
        ?.version,
      running: [...running.get(environment)!.entries()].map(([imageId, e]) => ({
        imageId,
        ...e,
      })),
    })),
  };
}
