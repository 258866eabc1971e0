import { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_AUTOSCALING_GROUP,
  ANNOTATION_AWS_ACCOUNT_ID,
  ANNOTATION_AWS_REGIONS,
  ANNOTATION_ENVIRONMENTS,
  ANNOTATION_FLEET_SELECTOR,
  ANNOTATION_IMAGE_FAMILY,
  ANNOTATION_LAUNCH_TEMPLATE,
  ANNOTATION_LOG_DESTINATION,
  ANNOTATION_MAX_IMAGE_AGE_DAYS,
  ANNOTATION_MAX_INSTANCE_AGE_DAYS,
  ANNOTATION_PREVIEW_TARGET_GROUPS,
  ANNOTATION_REMEDIATION,
  ANNOTATION_ROLLOUT_ALARMS,
  ANNOTATION_ROLLOUT_PROBE,
  ANNOTATION_ROLLOUT_STRATEGY,
  ANNOTATION_STATEFUL,
  ANNOTATION_TARGET_GROUPS,
  DEFAULT_ENVIRONMENTS,
  DEFAULT_FLEET_TAG_KEY,
} from './annotations';
import {
  AWS_ACCOUNT_PATTERN,
  AWS_ACCOUNT_RULE,
  AWS_REGION_PATTERN,
  CHANNEL_PATTERN,
} from './registrySchemas';
import {
  parseRolloutStrategyAnnotation,
  ROLLOUT_ALARM_PATTERN,
} from './rolloutSchemas';
import { parseRemediationPolicy } from './remediationPolicy';
import {
  IMAGE_FAMILY_PATTERN,
  IMAGE_FAMILY_RULE,
  ImmutableInfraAnnotations,
} from './schemas';

/**
 * A problem found in one annotation of an entity.
 *
 * @public
 */
export type AnnotationError = {
  annotation: string;
  value: string;
  message: string;
};

/**
 * The outcome of reading an entity's annotations: the parsed values, with
 * defaults applied, and every annotation that could not be read.
 *
 * @public
 */
export type ParsedAnnotations = {
  annotations: ImmutableInfraAnnotations;
  errors: AnnotationError[];
};

const TAG_PART = /^[^=,\s][^=,]*$/;
// Each environment has a channel of the same name.
const ENVIRONMENT = CHANNEL_PATTERN;
/** An ELBv2 target group: its ARN, or its name (up to 32 characters). */
const TARGET_GROUP =
  /^(arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?)$/;

/**
 * Whether the entity is enrolled in Immutable Infra, that is, carries the
 * image family annotation.
 *
 * @public
 */
export function isImmutableInfraAvailable(entity: Entity): boolean {
  return Boolean(
    entity.metadata.annotations?.[ANNOTATION_IMAGE_FAMILY]?.trim(),
  );
}

function list(value: string): string[] {
  return value
    .split(',')
    .map(part => part.trim())
    .filter(Boolean);
}

function positiveInteger(value: string): number | undefined {
  if (!/^\d+$/.test(value.trim())) {
    return undefined;
  }
  const parsed = Number(value.trim());
  return parsed > 0 && Number.isSafeInteger(parsed) ? parsed : undefined;
}

/**
 * Target groups per environment from a list of ARNs or names: every
 * environment's when the list has no pair (and `environments` is given),
 * else `environment=target-group` pairs, a pair per group. Undefined when
 * the list is malformed.
 */
function targetGroupsByEnvironment(
  value: string,
  environments: string[] | undefined,
): Record<string, string[]> | undefined {
  const entries = list(value);
  const paired = !environments || entries.some(e => e.includes('='));
  const pairs = entries.map(entry => {
    const eq = entry.indexOf('=');
    if (!paired) {
      return [undefined, entry];
    }
    return eq < 0
      ? ['', '']
      : [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()];
  });
  if (
    pairs.length === 0 ||
    pairs.some(
      ([env, group]) =>
        (paired && (!env || !ENVIRONMENT.test(env))) ||
        !group ||
        !TARGET_GROUP.test(group),
    )
  ) {
    return undefined;
  }
  const groups: Record<string, string[]> = {};
  for (const [env, group] of pairs) {
    for (const name of env ? [env] : environments ?? []) {
      groups[name] = [...new Set([...(groups[name] ?? []), group!])];
    }
  }
  return groups;
}

/**
 * Reads the Immutable Infra annotations of an entity, applying the documented
 * defaults. Malformed values are reported in `errors`, each with a sentence
 * saying what is expected; the matching field then keeps its default.
 *
 * @public
 */
export function parseImmutableInfraAnnotations(
  entity: Entity,
): ParsedAnnotations {
  const raw = entity.metadata.annotations ?? {};
  const errors: AnnotationError[] = [];
  const fail = (annotation: string, message: string) =>
    errors.push({ annotation, value: raw[annotation], message });

  const imageFamily = raw[ANNOTATION_IMAGE_FAMILY]?.trim() || undefined;
  if (imageFamily !== undefined && !IMAGE_FAMILY_PATTERN.test(imageFamily)) {
    fail(ANNOTATION_IMAGE_FAMILY, IMAGE_FAMILY_RULE);
  }

  let fleetSelector = [
    { key: DEFAULT_FLEET_TAG_KEY, value: entity.metadata.name },
  ];
  if (raw[ANNOTATION_FLEET_SELECTOR] !== undefined) {
    const pairs = list(raw[ANNOTATION_FLEET_SELECTOR]).map(pair => {
      const eq = pair.indexOf('=');
      return eq < 0
        ? undefined
        : { key: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
    });
    if (
      pairs.length === 0 ||
      pairs.some(p => !p || !TAG_PART.test(p.key) || !TAG_PART.test(p.value))
    ) {
      fail(
        ANNOTATION_FLEET_SELECTOR,
        'must be one or more EC2 tag filters "key=value", separated by commas',
      );
    } else {
      fleetSelector = pairs as { key: string; value: string }[];
    }
  }

  let environments = DEFAULT_ENVIRONMENTS;
  if (raw[ANNOTATION_ENVIRONMENTS] !== undefined) {
    const envs = list(raw[ANNOTATION_ENVIRONMENTS]);
    if (envs.length === 0 || envs.some(e => !ENVIRONMENT.test(e))) {
      fail(
        ANNOTATION_ENVIRONMENTS,
        'must list environment names in promotion order, separated by commas (lower-case letters, digits, "-" or "_")',
      );
    } else if (new Set(envs).size !== envs.length) {
      fail(ANNOTATION_ENVIRONMENTS, 'names an environment more than once');
    } else {
      environments = envs;
    }
  }

  let regions: string[] | undefined;
  if (raw[ANNOTATION_AWS_REGIONS] !== undefined) {
    const parsed = list(raw[ANNOTATION_AWS_REGIONS]);
    if (parsed.length === 0 || parsed.some(r => !AWS_REGION_PATTERN.test(r))) {
      fail(
        ANNOTATION_AWS_REGIONS,
        'must list AWS region codes such as "us-east-1", separated by commas',
      );
    } else {
      regions = parsed;
    }
  }

  let awsAccountId: string | undefined;
  if (raw[ANNOTATION_AWS_ACCOUNT_ID] !== undefined) {
    if (AWS_ACCOUNT_PATTERN.test(raw[ANNOTATION_AWS_ACCOUNT_ID].trim())) {
      awsAccountId = raw[ANNOTATION_AWS_ACCOUNT_ID].trim();
    } else {
      fail(ANNOTATION_AWS_ACCOUNT_ID, AWS_ACCOUNT_RULE);
    }
  }

  const launchTemplate = raw[ANNOTATION_LAUNCH_TEMPLATE]?.trim() || undefined;

  let autoscalingGroups: Record<string, string> | undefined;
  if (raw[ANNOTATION_AUTOSCALING_GROUP] !== undefined) {
    const value = raw[ANNOTATION_AUTOSCALING_GROUP].trim();
    if (value && !value.includes('=') && !value.includes(',')) {
      autoscalingGroups = Object.fromEntries(
        environments.map(env => [env, value]),
      );
    } else {
      const pairs = list(value).map(pair => pair.split('=').map(s => s.trim()));
      if (
        pairs.length === 0 ||
        pairs.some(p => p.length !== 2 || !ENVIRONMENT.test(p[0]) || !p[1])
      ) {
        fail(
          ANNOTATION_AUTOSCALING_GROUP,
          'must be an Auto Scaling group name, or "environment=group" pairs separated by commas',
        );
      } else {
        autoscalingGroups = Object.fromEntries(pairs);
      }
    }
  }

  let targetGroups: Record<string, string[]> | undefined;
  if (raw[ANNOTATION_TARGET_GROUPS] !== undefined) {
    targetGroups = targetGroupsByEnvironment(
      raw[ANNOTATION_TARGET_GROUPS],
      environments,
    );
    if (!targetGroups) {
      fail(
        ANNOTATION_TARGET_GROUPS,
        'must list target group ARNs or names separated by commas, for every environment or as "environment=target-group" pairs (a pair per target group)',
      );
    }
  }

  let previewTargetGroups: Record<string, string[]> | undefined;
  if (raw[ANNOTATION_PREVIEW_TARGET_GROUPS] !== undefined) {
    // An environment's preview is its own: the same group previewing
    // staging and production would mix their new instances.
    previewTargetGroups = targetGroupsByEnvironment(
      raw[ANNOTATION_PREVIEW_TARGET_GROUPS],
      undefined,
    );
    if (!previewTargetGroups) {
      fail(
        ANNOTATION_PREVIEW_TARGET_GROUPS,
        'must be "environment=target-group" pairs separated by commas (a pair per target group), each target group an ARN or a name',
      );
    }
  }

  const ageOverride = (annotation: string) => {
    if (raw[annotation] === undefined) {
      return undefined;
    }
    const days = positiveInteger(raw[annotation]);
    if (days === undefined) {
      fail(annotation, 'must be a whole number of days greater than zero');
    }
    return days;
  };
  const maxImageAgeDays = ageOverride(ANNOTATION_MAX_IMAGE_AGE_DAYS);
  const maxInstanceAgeDays = ageOverride(ANNOTATION_MAX_INSTANCE_AGE_DAYS);

  let stateful = false;
  if (raw[ANNOTATION_STATEFUL] !== undefined) {
    const value = raw[ANNOTATION_STATEFUL].trim().toLowerCase();
    if (value === 'true' || value === 'false') {
      stateful = value === 'true';
    } else {
      fail(ANNOTATION_STATEFUL, 'must be "true" or "false"');
    }
  }

  let logDestination: string | undefined;
  if (raw[ANNOTATION_LOG_DESTINATION] !== undefined) {
    const value = raw[ANNOTATION_LOG_DESTINATION].trim();
    if (/^[a-z0-9-]+:\S+$/.test(value)) {
      logDestination = value;
    } else {
      fail(
        ANNOTATION_LOG_DESTINATION,
        'must be "<kind>:<target>", for example "cloudwatch:/aws/ec2/payments"',
      );
    }
  }

  let rolloutStrategy: ImmutableInfraAnnotations['rolloutStrategy'];
  if (raw[ANNOTATION_ROLLOUT_STRATEGY] !== undefined) {
    try {
      rolloutStrategy = parseRolloutStrategyAnnotation(
        raw[ANNOTATION_ROLLOUT_STRATEGY],
      );
    } catch (error) {
      fail(ANNOTATION_ROLLOUT_STRATEGY, (error as Error).message);
    }
  }

  let rolloutAlarms: string[] | undefined;
  if (raw[ANNOTATION_ROLLOUT_ALARMS] !== undefined) {
    const alarms = list(raw[ANNOTATION_ROLLOUT_ALARMS]);
    if (
      alarms.length === 0 ||
      alarms.some(a => a.length > 300 || !ROLLOUT_ALARM_PATTERN.test(a))
    ) {
      fail(
        ANNOTATION_ROLLOUT_ALARMS,
        'must list CloudWatch alarm names, each optionally "region:name", separated by commas',
      );
    } else {
      rolloutAlarms = alarms;
    }
  }

  let rolloutProbe: string | undefined;
  if (raw[ANNOTATION_ROLLOUT_PROBE] !== undefined) {
    const value = raw[ANNOTATION_ROLLOUT_PROBE].trim();
    const problem = rolloutProbeProblem(value);
    if (problem) {
      fail(ANNOTATION_ROLLOUT_PROBE, problem);
    } else {
      rolloutProbe = value;
    }
  }

  let remediation: ImmutableInfraAnnotations['remediation'];
  if (raw[ANNOTATION_REMEDIATION] !== undefined) {
    try {
      remediation = parseRemediationPolicy(raw[ANNOTATION_REMEDIATION].trim());
    } catch (error) {
      fail(ANNOTATION_REMEDIATION, (error as Error).message);
    }
  }

  return {
    annotations: {
      imageFamily,
      fleetSelector,
      environments,
      regions,
      awsAccountId,
      launchTemplate,
      autoscalingGroups,
      targetGroups,
      previewTargetGroups,
      maxImageAgeDays,
      maxInstanceAgeDays,
      stateful,
      logDestination,
      rolloutStrategy,
      rolloutAlarms,
      rolloutProbe,
      ...(remediation ? { remediation } : {}),
    },
    errors,
  };
}

/** What each placeholder of a rollout probe stands for, in a sample. */
const PROBE_SAMPLES: Record<string, string> = {
  privateIp: '10.0.0.1',
  publicIp: '10.0.0.1',
  privateDns: 'ip-10-0-0-1.ec2.internal',
  instanceId: 'i-0123456789abcdef0',
};

/** Why a rollout probe URL is malformed, or undefined when it is not. */
function rolloutProbeProblem(value: string): string | undefined {
  const placeholders = [...value.matchAll(/\{([^}]*)\}/g)].map(m => m[1]);
  const unknown = placeholders.filter(p => !(p in PROBE_SAMPLES));
  if (value.length === 0 || value.length > 500) {
    return 'must be an http(s) URL of up to 500 characters';
  }
  if (unknown.length > 0) {
    return `knows {privateIp}, {publicIp}, {privateDns} and {instanceId}, not {${unknown.join(
      '}, {',
    )}}`;
  }
  let url: URL;
  try {
    url = new URL(value.replace(/\{(\w+)\}/g, (_, p) => PROBE_SAMPLES[p]));
  } catch {
    return 'must be an http(s) URL, for example "http://{privateIp}:8080/healthz"';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'must be an http(s) URL, for example "http://{privateIp}:8080/healthz"';
  }
  if (url.username || url.password) {
    return 'must not carry credentials';
  }
  return undefined;
}
