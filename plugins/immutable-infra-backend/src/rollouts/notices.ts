import { RolloutRecord } from './RolloutStore';

/** Moments of a rollout its owner is told of. @internal */
export type RolloutNoticeKind = 'awaiting-promotion' | 'failed' | 'aborted';

/**
 * Tells a rollout's owner of a moment: called once a transition is
 * committed; never throws (a notice that cannot be sent is logged).
 *
 * @internal
 */
export type RolloutNotify = (
  rollout: RolloutRecord,
  kind: RolloutNoticeKind,
  message: string,
) => Promise<void>;
