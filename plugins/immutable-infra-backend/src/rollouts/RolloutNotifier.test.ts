import { createBackendPlugin } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  NotificationService,
  notificationService,
} from '@backstage/plugin-notifications-node';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import request from 'supertest';
import { RolloutNotifier } from './RolloutNotifier';
import { RolloutRecord } from './RolloutStore';

const rollout = {
  id: '5a1c7f3e-0b7e-4d39-9d7e-2f0a9c1b6e42',
  entityRef: 'Component:Payments/payments-api',
  environment: 'production',
  family: 'payments-api',
  fromVersion: 'payments-api@4',
  toVersion: 'payments-api@5',
  state: 'running',
} as RolloutRecord;

function setup(send: NotificationService['send'] = jest.fn()) {
  const logger = mockServices.logger.mock();
  const notifier = new RolloutNotifier({ notifications: { send }, logger });
  return { notifier, logger, send };
}

describe('RolloutNotifier', () => {
  it('tells the entity owner that a rollout waits for a promote, linking to the Immutability tab', async () => {
    const { notifier, send } = setup();

    await notifier.notify(
      rollout,
      'awaiting-promotion',
      'step 2 of 4 waits for a promote',
    );

    expect(send).toHaveBeenCalledTimes(1);
    expect(send).toHaveBeenCalledWith({
      recipients: {
        type: 'entity',
        entityRef: 'Component:Payments/payments-api',
      },
      payload: {
        title:
          'payments-api: rollout to payments-api@5 in production waits for a promote',
        description: 'step 2 of 4 waits for a promote',
        link: '/catalog/payments/component/payments-api/immutability',
        severity: 'normal',
        topic: 'rollouts',
        scope:
          'rollout:5a1c7f3e-0b7e-4d39-9d7e-2f0a9c1b6e42:awaiting-promotion',
      },
    });
  });

  it.each([
    ['failed', 'failed'],
    ['aborted', 'was aborted'],
  ] as const)(
    'a rollout that %s is a high-severity notice, scoped to the rollout and the moment',
    async (kind, said) => {
      const { notifier, send } = setup();

      await notifier.notify(rollout, kind, 'the gate failed past its deadline');

      const { payload } = (send as jest.Mock).mock.calls[0][0];
      expect(payload).toMatchObject({
        title: `payments-api: rollout to payments-api@5 in production ${said}`,
        description: 'the gate failed past its deadline',
        severity: 'high',
        scope: `rollout:${rollout.id}:${kind}`,
      });
    },
  );

  it('gives each moment of a rollout its own scope, and each rollout its own', async () => {
    const { notifier, send } = setup();

    await notifier.notify(rollout, 'awaiting-promotion', 'paused');
    await notifier.notify(rollout, 'aborted', 'aborted by jane');
    await notifier.notify(
      { ...rollout, id: '00000000-0000-4000-8000-000000000000' },
      'aborted',
      'aborted by jane',
    );

    const scopes = (send as jest.Mock).mock.calls.map(
      ([options]) => options.payload.scope,
    );
    expect(new Set(scopes).size).toBe(3);
  });

  it('logs a send that fails (no notifications backend) and does not throw', async () => {
    const { notifier, logger } = setup(
      jest
        .fn()
        .mockRejectedValue(
          new Error(
            'Failed to send notifications: Error: Request failed with status 404',
          ),
        ),
    );

    await expect(
      notifier.notify(rollout, 'failed', 'no healthy instance'),
    ).resolves.toBeUndefined();

    expect(logger.warn).toHaveBeenCalledWith(
      `Could not notify the owner of Component:Payments/payments-api that rollout ${rollout.id} failed: Failed to send notifications: Error: Request failed with status 404`,
    );
  });

  it('logs a send that throws something other than an error', async () => {
    const { notifier, logger } = setup(() => {
      throw 'unreachable'; // eslint-disable-line no-throw-literal
    });

    await notifier.notify(rollout, 'aborted', 'aborted by jane');

    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/was aborted: unreachable$/),
    );
  });
});

describe('RolloutNotifier in a backend', () => {
  const component = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api', namespace: 'payments' },
    spec: { type: 'service', owner: 'group:payments/payments-team' },
    relations: [{ type: 'ownedBy', targetRef: 'group:payments/payments-team' }],
  };
  const team = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'payments-team', namespace: 'payments' },
    spec: { type: 'team', children: [] },
    relations: [{ type: 'hasMember', targetRef: 'user:default/jane' }],
  };
  // The entity ref as rollouts store it.
  const stored = {
    ...rollout,
    entityRef: 'component:payments/payments-api',
  };

  /** Starts a backend whose immutable-infra plugin is only the notifier. */
  async function start(options: { withNotificationsBackend: boolean }) {
    const logger = mockServices.logger.mock();
    let notifier: RolloutNotifier | undefined;
    const backend = await startTestBackend({
      features: [
        createBackendPlugin({
          pluginId: 'immutable-infra',
          register(env) {
            env.registerInit({
              deps: { notifications: notificationService },
              async init({ notifications }) {
                notifier = new RolloutNotifier({ notifications, logger });
              },
            });
          },
        }),
        catalogServiceMock.factory({ entities: [component, team] }),
        mockServices.rootConfig.factory({
          data: { app: { baseUrl: 'http://localhost:3000' } },
        }),
        ...(options.withNotificationsBackend ? [notificationsPlugin] : []),
      ],
    });
    return { server: backend.server, notifier: notifier!, logger };
  }

  type Server = Awaited<ReturnType<typeof startTestBackend>>['server'];
  type Notice = {
    origin: string;
    payload: { severity: string; description: string };
  };

  async function noticesOf(server: Server, user: string): Promise<Notice[]> {
    const response = await request(server)
      .get('/api/notifications/notifications')
      .set('Authorization', mockCredentials.user.header(user));
    expect(response.status).toBe(200);
    return response.body.notifications;
  }

  it('reaches the members of the owning team, and a repeat of a moment updates its notice', async () => {
    const { server, notifier, logger } = await start({
      withNotificationsBackend: true,
    });

    await notifier.notify(stored, 'awaiting-promotion', 'step 2 of 5');
    await notifier.notify(stored, 'awaiting-promotion', 'step 4 of 5');
    await notifier.notify(stored, 'aborted', 'aborted by user:default/jo');

    expect(logger.warn).not.toHaveBeenCalled();
    const notices = await noticesOf(server, 'user:default/jane');
    expect(
      notices.map(n => [n.origin, n.payload.severity, n.payload.description]),
    ).toEqual(
      expect.arrayContaining([
        ['plugin:immutable-infra', 'normal', 'step 4 of 5'],
        ['plugin:immutable-infra', 'high', 'aborted by user:default/jo'],
      ]),
    );
    expect(notices).toHaveLength(2);
    expect(await noticesOf(server, 'user:default/someone-else')).toEqual([]);
  });

  it('logs, and does not throw, where the app has no notifications backend', async () => {
    const { notifier, logger } = await start({
      withNotificationsBackend: false,
    });

    await expect(
      notifier.notify(stored, 'failed', 'no healthy instance'),
    ).resolves.toBeUndefined();

    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Could not notify the owner of component:payments\/payments-api that rollout .* failed: Failed to send notifications/,
      ),
    );
  });
});
