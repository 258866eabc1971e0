import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { createHash } from 'node:crypto';

/**
 * The key of an action's checkpoint: unique per step and per request, so
 * that two steps of a task, or two `each` iterations of one step, that call
 * the backend for the same family each make their own call, while a retried
 * step (same step, same request) replays its own result.
 *
 * The step id is part of the key because the checkpoint contract only asks
 * for a unique key; the request digest because `each` iterations share
 * their step id.
 */
export function checkpointKey(options: {
  ctx: Pick<ActionContext<any, any>, 'step'>;
  /** What the checkpoint does, e.g. `register`. */
  name: string;
  family: string;
  /** The body sent to the backend. */
  request: unknown;
}): string {
  const { ctx, name, family, request } = options;
  const digest = createHash('sha256')
    .update(JSON.stringify(canonical(request)))
    .digest('hex')
    .slice(0, 16);
  return `${name}:${ctx.step?.id ?? ''}:${family}:${digest}`;
}

/** The value with its object keys sorted, so equal requests hash equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
