import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  IMAGE_FAMILY_PATTERN,
  IMAGE_FAMILY_RULE,
} from '@immutable-infra/backstage-plugin-common';
import { backendRequestOptions } from './backendRequestOptions';
import { callBackend } from './callBackend';
import { examples } from './pruneImages.examples';
import { RegistryActionOptions } from './types';

/**
 * `immutable-infra:images:prune`: proposes (dry run, the default) or
 * executes pruning of old versions.
 *
 * @public
 */
export function createPruneImagesAction({
  client,
  auth,
}: RegistryActionOptions) {
  return createTemplateAction({
    id: 'immutable-infra:images:prune',
    description:
      'Prunes old image versions that nothing uses. A dry run unless dryRun is false; the output lists what was (or would be) pruned and what was kept and why.',
    examples,
    schema: {
      input: {
        family: z =>
          z.string().regex(IMAGE_FAMILY_PATTERN, IMAGE_FAMILY_RULE).optional(),
        keepVersions: z => z.number().int().min(1).optional(),
        minAgeDays: z => z.number().int().min(0).optional(),
        dryRun: z => z.boolean().default(true),
      },
      output: {
        dryRun: z => z.boolean(),
        pruned: z => z.array(z.string()),
        kept: z =>
          z.array(z.object({ id: z.string(), reasons: z.array(z.string()) })),
        failed: z => z.array(z.object({ id: z.string(), error: z.string() })),
      },
    },
    async handler(ctx) {
      const requestOptions = await backendRequestOptions(auth, ctx);
      const result = await callBackend('Pruning images', () =>
        client.pruneImages({ ...ctx.input }, requestOptions),
      );
      const pruned = result.pruned.map(p => p.id);
      ctx.logger.info(
        `${result.dryRun ? 'Would prune' : 'Pruned'} ${pruned.length} versions${
          pruned.length ? `: ${pruned.join(', ')}` : ''
        }; kept ${result.kept.length}`,
      );
      for (const kept of result.kept) {
        ctx.logger.info(
          `Kept ${kept.id}: ${kept.reasons.map(r => r.detail).join('; ')}`,
        );
      }
      ctx.output('dryRun', result.dryRun);
      ctx.output('pruned', pruned);
      ctx.output(
        'kept',
        result.kept.map(k => ({
          id: k.id,
          reasons: k.reasons.map(r => r.detail),
        })),
      );
      ctx.output('failed', result.failed);
      if (result.failed.length > 0) {
        throw new Error(
          `Pruning failed for ${result.failed
            .map(f => `${f.id} (${f.error})`)
            .join(', ')}`,
        );
      }
    },
  });
}
