import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';

/**
 * One scaffolder task whose steps share a checkpoint store, as a recovered
 * task does. The store is keyed by the action's key alone: the checkpoint
 * contract asks actions for a unique key and promises no scoping, so a test
 * sees whether the action's own keys tell steps apart. A step run twice
 * with the same id is a retry: its checkpoints replay instead of calling fn.
 */
export function createMockTask() {
  const checkpoints = new Map<string, unknown>();
  return {
    /** The keys of the checkpoints stored so far, in the order stored. */
    checkpointKeys: () => [...checkpoints.keys()],
    /** The context of one run of the step `stepId` of this task. */
    step(
      stepId: string,
      options: { input: Record<string, any>; workspacePath?: string },
    ): ActionContext<any, any> {
      return {
        ...createMockActionContext(options),
        step: { id: stepId, name: stepId },
        async checkpoint({ key, fn }) {
          if (checkpoints.has(key)) {
            return checkpoints.get(key) as any;
          }
          const value = await fn();
          // Stored as JSON, as the task's state is.
          checkpoints.set(key, JSON.parse(JSON.stringify(value ?? {})));
          return value;
        },
      };
    },
  };
}
