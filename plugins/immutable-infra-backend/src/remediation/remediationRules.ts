import {
  DriftGroup,
  ImmutableInfraAnnotations,
  RemediationPolicy,
} from '@immutable-infra/backstage-plugin-common';

/** How long a replaced root cause is watched for its return, and the daily limit's day. @internal */
export const REMEDIATION_DAY_MS = 86_400_000;

/** Automatic rollouts of a root cause after which its return stops automation. @internal */
export const RECURRENCES_BEFORE_STOP = 2;

/** Whether a policy names a drift group, by its rule or its root cause. @internal */
export function policyNames(
  policy: RemediationPolicy,
  group: Pick<DriftGroup, 'rule' | 'rootCause' | 'instanceIds'>,
): boolean {
  // Only a group of instances can be replaced: a template or group finding
  // is no instance's.
  if (policy.mode === 'off' || group.instanceIds.length === 0) {
    return false;
  }
  if (policy.targets.length === 0) {
    return policy.mode === 'observe';
  }
  return policy.targets.some(t => t === group.rule || t === group.rootCause);
}

const IMAGE_RULES = [
  'revoked-image',
  'unregistered-image',
  'image-mismatch',
  'image-too-old',
];

/**
 * Where drift that came back after replacements likely comes from: the
 * twin is launched from the same template, image and security groups as the
 * instance it replaced, so one of those carries it.
 *
 * @internal
 */
export function likelySource(
  group: Pick<DriftGroup, 'rule' | 'rootCause'>,
  annotations: Pick<
    ImmutableInfraAnnotations,
    'launchTemplate' | 'autoscalingGroups'
  >,
): string {
  const groups = [
    ...new Set(Object.values(annotations.autoscalingGroups ?? {})),
  ];
  let template = 'the launch template the fleet launches from';
  if (annotations.launchTemplate) {
    template = `the launch template ${annotations.launchTemplate}`;
  } else if (groups.length) {
    template = `the launch template of ${groups.join(', ')}`;
  }
  if (IMAGE_RULES.includes(group.rule)) {
    return `${template}, or the image it names: new instances launch from the same image, so the channel's image or the template's AMI is the one to fix`;
  }
  switch (group.rule) {
    case 'ssh-open':
      return `a security group the fleet shares (attached by ${template}): new instances get port 22 open again; remove the rule from the group, or stop the process that adds it`;
    case 'ssh-key':
      return `${template}: it gives new instances a key pair; make a template version without one`;
    case 'imdsv1-allowed':
      return `${template}: its metadata options allow IMDSv1; set HttpTokens to required in a new version`;
    case 'not-managed':
      return `${template} or the image: the instance profile or the SSM agent is missing on every new instance`;
    case 'logs-not-shipped':
      return `the image: its log agent does not ship to the log group on every new instance`;
    case 'interactive-session':
      return 'something that opens a session on every new instance (an automation or a person): find who in the session history';
    default:
      return `${template} or the image: every new instance is launched from them`;
  }
}
