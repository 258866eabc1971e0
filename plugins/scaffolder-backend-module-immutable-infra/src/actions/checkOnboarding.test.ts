import { mockCredentials } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  registerVersion,
  startImmutableInfraBackend,
} from '../__testUtils__/backend';
import { expectDocumentedExamples } from '../__testUtils__/examples';
import { createMockTask } from '../__testUtils__/mockTask';
import { backendRequestOptions } from './backendRequestOptions';
import { createCheckOnboardingAction } from './checkOnboarding';
import { examples } from './checkOnboarding.examples';

jest.setTimeout(60_000);

const FLEETS = [
  { environment: 'staging', min: 1, desired: 2, max: 3 },
  { environment: 'production', min: 2, desired: 3, max: 6 },
];

/**
 * The real backend plugin with `base-ubuntu` enrolled, version 1 on its
 * production channel, and `taken` enrolled by another service.
 */
async function setup() {
  const deps = await startImmutableInfraBackend({
    entities: ['base-ubuntu', 'taken', 'bare', 'orders'],
    enroll: ['base-ubuntu', 'taken', 'bare'],
  });
  const version = await registerVersion(deps, { family: 'base-ubuntu', n: 1 });
  await deps.client.assignChannel(
    'base-ubuntu',
    'production',
    { version },
    await backendRequestOptions(deps.auth, {
      getInitiatorCredentials: async () => mockCredentials.user(),
    }),
  );
  return { deps, action: createCheckOnboardingAction(deps) };
}

/** The context of a check of the service `orders` with an owner and a system. */
const withRefs = (refs: { owner?: string; system?: string }) =>
  createMockActionContext({
    input: { family: 'orders', entityRef: 'component:default/orders', ...refs },
  });

describe('immutable-infra:onboarding:check', () => {
  it('passes a new service with a free name and a base family on its channel, and outputs the base version', async () => {
    const { action } = await setup();
    const ctx = createMockActionContext({
      input: {
        family: 'orders',
        entityRef: 'component:default/orders',
        baseFamily: 'base-ubuntu',
        baseChannel: 'production',
        fleets: FLEETS,
      },
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('baseImage', 'base-ubuntu@1');
  });

  it('refuses what cannot be onboarded, naming every field at once', async () => {
    const { action } = await setup();
    await expect(
      action.handler(
        createMockActionContext({
          input: {
            family: 'taken',
            entityRef: 'component:default/orders',
            baseFamily: 'base-ubuntu',
            baseChannel: 'canary',
            fleets: [
              { environment: 'staging', min: 4, desired: 4, max: 3 },
              { environment: 'production', min: 2, desired: 9, max: 6 },
              { environment: 'staging', min: 1, desired: 1, max: 1 },
            ],
          },
        }),
      ),
    ).rejects.toThrow(
      'The service cannot be onboarded as asked: ' +
        'fleets[0] (staging): the minimum capacity 4 is above the maximum 3; ' +
        'fleets[1] (production): the desired capacity 9 is not between the minimum 2 and the maximum 6; ' +
        'fleets[2] (staging): the environment is listed twice; ' +
        'name: the image family taken belongs to component:default/taken; pick another name; ' +
        'baseChannel: the base family base-ubuntu has no version on its canary channel',
    );
  });

  it('refuses an unknown base family, and a base family with no version on the channel', async () => {
    const { action } = await setup();
    const run = (baseFamily: string) =>
      action.handler(
        createMockActionContext({
          input: {
            family: 'orders',
            entityRef: 'component:default/orders',
            baseFamily,
          },
        }),
      );
    await expect(run('base-nowhere')).rejects.toThrow(
      'baseFamily: no image family base-nowhere is registered',
    );
    await expect(run('bare')).rejects.toThrow(
      'baseChannel: the base family bare has no version on its production channel',
    );
  });

  it('a new service whose family is already its own was onboarded before: refused; an existing service may have it', async () => {
    const { action } = await setup();
    const input = { family: 'taken', entityRef: 'component:default/taken' };
    await expect(
      action.handler(createMockActionContext({ input })),
    ).rejects.toThrow(
      'name: component:default/taken is already onboarded (image family taken); pick another name',
    );
    const existing = createMockActionContext({
      input: { ...input, existingService: true },
    });
    await action.handler(existing);
    expect(existing.output).toHaveBeenCalledWith('baseImage', undefined);
  });

  it.each([
    [
      { owner: 'component:default/orders' },
      'owner: not a group or user entity ref ([kind:][namespace/]name): its kind must be group or user',
    ],
    [
      { owner: 'group:default/a b' },
      'owner: not a group or user entity ref ([kind:][namespace/]name): its name must be letters, digits',
    ],
    [
      { owner: 'group:Not A Namespace/payments' },
      'owner: not a group or user entity ref ([kind:][namespace/]name): its namespace must be lower-case letters',
    ],
    [
      {
        owner:
          'group:default/payments\n---\napiVersion: backstage.io/v1alpha1\nkind: Location',
      },
      'owner: not a group or user entity ref ([kind:][namespace/]name): its name must be',
    ],
    [
      { owner: 'group:' },
      'owner: not a group or user entity ref ([kind:][namespace/]name): it has an empty part',
    ],
    [
      { system: 'group:default/payments' },
      'system: not a system entity ref ([kind:][namespace/]name): its kind must be system',
    ],
    [
      { system: 'system:default/payments\n  lifecycle: production' },
      'system: not a system entity ref ([kind:][namespace/]name): its name must be',
    ],
    [
      { system: 'a'.repeat(300) },
      'system: not a system entity ref ([kind:][namespace/]name): its name must be',
    ],
  ])('refuses %j, naming the field', async (refs, message) => {
    const { action } = await setup();
    await expect(action.handler(withRefs(refs))).rejects.toThrow(
      `The service cannot be onboarded as asked: ${message}`,
    );
  });

  it.each([
    { owner: 'group:default/payments-team', system: 'system:default/payments' },
    { owner: 'payments-team', system: 'payments' },
    { owner: 'user:ada', system: 'default/payments' },
    { owner: 'Group:default/Payments_Team.eu', system: 'System:payments' },
  ])(
    'passes an owner and a system that are entity refs of their kinds: %j',
    async refs => {
      const { action } = await setup();
      const ctx = withRefs(refs);
      await action.handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('baseImage', undefined);
    },
  );

  it('a retried task replays a check that passed, and makes a failed one again', async () => {
    const { deps, action } = await setup();
    const input = {
      family: 'orders',
      entityRef: 'component:default/orders',
      baseFamily: 'base-ubuntu',
    };
    const task = createMockTask();
    await action.handler(task.step('check', { input }));
    // The task's later steps enrolled the service, then it failed.
    await deps.client.enroll(
      { name: 'orders', entityRef: 'component:default/orders' },
      await backendRequestOptions(deps.auth, {
        getInitiatorCredentials: async () => mockCredentials.user(),
      }),
    );
    const retry = task.step('check', { input });
    await action.handler(retry);
    expect(retry.output).toHaveBeenCalledWith('baseImage', 'base-ubuntu@1');

    const failing = createMockTask();
    const unknown = { ...input, family: 'search', baseFamily: 'base-none' };
    await expect(
      action.handler(failing.step('check', { input: unknown })),
    ).rejects.toThrow('baseFamily: no image family base-none');
    await expect(
      action.handler(failing.step('check', { input: unknown })),
    ).rejects.toThrow('baseFamily: no image family base-none');
  });

  it('its examples are the ones the action documents: YAML with a step of the action whose input the scaffolder accepts', async () => {
    const action = createCheckOnboardingAction(
      await startImmutableInfraBackend(),
    );
    expectDocumentedExamples(action, examples);
  });
});
