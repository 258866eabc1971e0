/**
 * Catalog annotations read by the Immutable Infra plugins.
 *
 * @public
 */
export const ANNOTATION_IMAGE_FAMILY = 'immutable-infra.io/image-family';
/** @public */
export const ANNOTATION_FLEET_SELECTOR = 'immutable-infra.io/fleet-selector';
/** @public */
export const ANNOTATION_ENVIRONMENTS = 'immutable-infra.io/environments';
/** @public */
export const ANNOTATION_AWS_REGIONS = 'immutable-infra.io/aws-regions';
/** @public */
export const ANNOTATION_AWS_ACCOUNT_ID = 'immutable-infra.io/aws-account-id';
/** @public */
export const ANNOTATION_LAUNCH_TEMPLATE = 'immutable-infra.io/launch-template';
/** @public */
export const ANNOTATION_AUTOSCALING_GROUP =
  'immutable-infra.io/autoscaling-group';
/** @public */
export const ANNOTATION_MAX_IMAGE_AGE_DAYS =
  'immutable-infra.io/max-image-age-days';
/** @public */
export const ANNOTATION_MAX_INSTANCE_AGE_DAYS =
  'immutable-infra.io/max-instance-age-days';
/** @public */
export const ANNOTATION_STATEFUL = 'immutable-infra.io/stateful';
/** @public */
export const ANNOTATION_LOG_DESTINATION = 'immutable-infra.io/log-destination';

/** @public */
export const ANNOTATION_ROLLOUT_STRATEGY =
  'immutable-infra.io/rollout-strategy';
/** @public */
export const ANNOTATION_ROLLOUT_ALARMS = 'immutable-infra.io/rollout-alarms';
/**
 * An HTTP probe every new instance must answer with a 2xx before it counts
 * as healthy: a URL with `{privateIp}`, `{publicIp}`, `{privateDns}` or
 * `{instanceId}` in it.
 *
 * @public
 */
export const ANNOTATION_ROLLOUT_PROBE = 'immutable-infra.io/rollout-probe';
/**
 * Target groups (ARNs or names) of the instances in no Auto Scaling group,
 * per environment like the Auto Scaling group annotation.
 *
 * @public
 */
export const ANNOTATION_TARGET_GROUPS = 'immutable-infra.io/target-groups';
/**
 * Blue-green: target groups (ARNs or names) where the new instances are
 * registered and gated before the switch, as `environment=target-group`
 * pairs; without one, the new instances serve production traffic from the
 * moment they pass the gate.
 *
 * @public
 */
export const ANNOTATION_PREVIEW_TARGET_GROUPS =
  'immutable-infra.io/preview-target-groups';
/**
 * Which drift is replaced automatically: `off`, `observe` or
 * `auto:<rule or root cause>[,…]`, with `window=<days> <HH:MM-HH:MM> <tz>`
 * and `max-per-day=N` after `;`.
 *
 * @public
 */
export const ANNOTATION_REMEDIATION = 'immutable-infra.io/remediation';

/**
 * Tag put on every instance a rollout launches, with the rollout's id.
 *
 * @public
 */
export const ROLLOUT_ID_TAG = 'immutable-infra:rollout-id';

/**
 * Tag put on every instance a rollout launches, with the version it runs.
 *
 * @public
 */
export const IMAGE_VERSION_TAG = 'immutable-infra:image-version';

/**
 * Tag key put on EC2 instances that belong to a service when no fleet selector
 * annotation is given: `immutable-infra:service=<metadata.name>`.
 *
 * @public
 */
export const DEFAULT_FLEET_TAG_KEY = 'immutable-infra:service';

/**
 * Environments in promotion order when the entity does not name its own.
 *
 * @public
 */
export const DEFAULT_ENVIRONMENTS = ['staging', 'production'];
