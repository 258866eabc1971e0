import { RolloutRecord } from './RolloutStore';
import { ChannelRefusedError } from './RolloutStore';
import { abortFor } from './cleanUp';
import { engineAudit, EngineContext, transition } from './transitions';

/**
 * The last step passed. First the rollout is marked succeeded, in one
 * transaction with the move of its channel (a rollout aborted meanwhile
 * moves nothing; a version revoked meanwhile is refused there, and the
 * rollout aborts naming it). The entity and environment stay held until
 * AWS is tidied: templates default to the new version, groups stay pinned
 * to it (a number, never `$Latest`) with their sizes and protection as
 * they were; then they are released.
 *
 * @internal
 */
export async function finish(
  ctx: EngineContext,
  rollout: RolloutRecord,
): Promise<void> {
  let current: RolloutRecord | undefined = rollout;
  if (rollout.state === 'running') {
    const version = Number(rollout.toVersion.split('@').pop());
    try {
      current = await transition(ctx, rollout, {
        state: 'succeeded',
        stepStartedAt: null,
        ...(rollout.movesChannel
          ? {
              channel: {
                family: rollout.family,
                channel: rollout.environment,
                version,
                actor: rollout.createdBy,
                reason: `rollout ${rollout.id} succeeded`,
              },
            }
          : {}),
        events: [
          ...(rollout.movesChannel
            ? [
                {
                  kind: 'channel',
                  message: `The ${rollout.environment} channel now points at ${rollout.toVersion}`,
                },
              ]
            : []),
          {
            kind: 'succeeded',
            message: `Succeeded: every fleet runs ${rollout.toVersion}`,
          },
        ],
        audit: [engineAudit(rollout, 'rollout.succeed')],
      });
    } catch (error) {
      if (error instanceof ChannelRefusedError) {
        await abortFor(ctx, rollout, error.message);
        return;
      }
      throw error;
    }
    if (!current) {
      return;
    }
  }
  const { plan } = current;
  for (const fleet of plan.fleets) {
    if (
      fleet.kind === 'autoscaling-group' &&
      ctx.now() - Date.parse(current.updatedAt) < plan.progressDeadlineMs &&
      (await ctx.fleets.groupLaunching(current, fleet))
    ) {
      // What the group launches now carries the rollout's protection:
      // released once it shows (up to the progress deadline).
      return;
    }
  }
  const defaulted = new Set<string>();
  for (const fleet of plan.fleets) {
    const key = `${fleet.region}/${fleet.launchTemplate!.id}`;
    if (!defaulted.has(key)) {
      defaulted.add(key);
      await ctx.fleets.setDefaultTemplateVersion(
        current,
        fleet,
        fleet.newTemplateVersion!,
      );
    }
    if (
      fleet.kind === 'autoscaling-group' &&
      !(await ctx.fleets.restoreGroup(
        current,
        fleet,
        fleet.newTemplateVersion!,
      ))
    ) {
      // The group launched for the rollout meanwhile: released next tick.
      return;
    }
  }
  const released = await transition(ctx, current, {
    release: true,
    events: [
      {
        kind: 'finished',
        message: `Launch templates default to ${rollout.toVersion}; groups keep it, with their sizes as they were`,
      },
    ],
  });
  if (released) {
    await syncAfter(ctx, released);
  }
}

/** Syncs the entity's fleet once a rollout ends; a failure is logged. @internal */
export async function syncAfter(ctx: EngineContext, rollout: RolloutRecord) {
  try {
    await ctx.syncEntity?.(rollout.entityRef);
  } catch (error) {
    ctx.logger.warn(
      `Fleet sync after rollout ${rollout.id} failed: ${
        (error as Error).message
      }`,
    );
  }
}
