import { Entity } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import { createRouterTestApp } from '../__testUtils__/routerTestApp';
import { FleetProvider } from '../providers/FleetProvider';
import { dayOf } from './AdoptionSnapshotter';
import { snapshot } from './testSnapshots.testUtil';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const OLD_AMI = 'ami-0a0a0a0a0a0a0a0a0';
const NEW_AMI = 'ami-0b0b0b0b0b0b0b0b0';

const web: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'web',
    namespace: 'default',
    annotations: { 'immutable-infra.io/image-family': 'web' },
  },
  spec: { type: 'service', owner: 'group:default/team-a' },
};

/** web's fleet: `amis`, one instance each. */
function fleet(amis: () => string[]): FleetProvider {
  return {
    listInstances: async location =>
      amis().map((imageId, n) => ({
        instanceId: `i-${n}`,
        region: location.region,
        imageId,
        state: 'running',
        sshExposure: 'none' as const,
        sshSources: [],
        tags: { environment: 'production' },
      })),
    getLaunchTemplateDefault: async () => undefined,
    describeAutoScalingGroups: async () => [],
  };
}

describe.each(databases.eachSupportedId())('AdoptionNotifier on %p', id => {
  async function setup(amis: () => string[] = () => []) {
    const sent: NotificationSendOptions[] = [];
    let failNext = false;
    const test = await createRouterTestApp([web], {
      knex: await databases.init(id),
      fleetProvider: fleet(amis),
      sendNotification: async notification => {
        if (failNext) {
          failNext = false;
          throw new Error('the notifications backend is down');
        }
        sent.push(notification);
      },
    });
    return { ...test, sent, failOnce: () => (failNext = true) };
  }

  it('tells each owner an initiative covers when it starts, and a week before its deadline those behind; each once; a failed send is sent again', async () => {
    const { app, services, sent, failOnce } = await setup();
    const today = dayOf(Date.now());
    await services.adoptionStore.writeDay(today, [
      snapshot('component:default/a', {
        day: today,
        owner: 'group:default/team-a',
        level: 'gold',
      }),
      snapshot('component:default/b', {
        day: today,
        owner: 'group:default/team-b',
        level: 'bronze',
      }),
    ]);
    await request(app)
      .post('/initiatives')
      .send({
        title: 'Silver for all',
        goal: { kind: 'level', value: 'silver' },
        deadline: dayOf(Date.now() + 5 * 86_400_000),
      })
      .expect(201);

    failOnce();
    expect(await services.adoptionNotifier.notifyInitiatives()).toBe(2);
    const keyed = (n: NotificationSendOptions) =>
      `${(n.recipients as any).entityRef} ${n.payload.title}`;
    expect(sent.map(keyed)).toHaveLength(2);
    expect(sent.map(keyed)).toEqual(
      expect.arrayContaining([
        'group:default/team-b Initiative "Silver for all" includes your services',
        expect.stringMatching(
          /^group:default\/team-b Initiative "Silver for all" is due \d{4}-\d\d-\d\d$/,
        ),
      ]),
    );
    // The one that failed (team-a's start) goes now; nothing twice.
    expect(await services.adoptionNotifier.notifyInitiatives()).toBe(1);
    expect(sent.map(keyed)).toContain(
      'group:default/team-a Initiative "Silver for all" includes your services',
    );
    expect(await services.adoptionNotifier.notifyInitiatives()).toBe(0);
    expect(sent).toHaveLength(3);
  });

  it('tells the owner once when an instance runs a revoked version, and records when it stops running it: the time to replace', async () => {
    let amis = [OLD_AMI, NEW_AMI];
    const { app, services, sent } = await setup(() => amis);
    await request(app)
      .post('/families')
      .send({ name: 'web', entityRef: 'component:default/web' })
      .expect(201);
    for (const imageId of [OLD_AMI, NEW_AMI]) {
      await request(app)
        .post('/images')
        .send({ family: 'web', artifacts: [{ region: 'us-east-1', imageId }] })
        .expect(201);
    }
    await request(app)
      .post('/images/web@1/revoke')
      .send({ reason: 'CVE-2026-1' })
      .expect(200);
    await request(app).post('/sync').send({}).expect(200);

    expect(await services.adoptionNotifier.trackRevokedImages()).toBe(1);
    expect(sent[0]).toMatchObject({
      recipients: { type: 'entity', entityRef: 'component:default/web' },
      payload: {
        title: 'web runs web@1, which was revoked',
        severity: 'critical',
        link: '/catalog/default/component/web/drift',
      },
    });
    expect(sent[0].payload.description).toContain('Revoked: CVE-2026-1.');
    // Every later sync: no second notice.
    await request(app).post('/sync').send({}).expect(200);
    expect(await services.adoptionNotifier.trackRevokedImages()).toBe(0);
    await services.adoptionSnapshotter.run();
    let { delivery } = (await request(app).get('/adoption')).body;
    expect(delivery).toMatchObject({
      revokedStillRunning: 1,
      revokedReplaced: 0,
    });

    // Replaced: no instance runs it any more.
    amis = [NEW_AMI];
    await request(app).post('/sync').send({}).expect(200);
    expect(await services.adoptionNotifier.trackRevokedImages()).toBe(0);
    ({ delivery } = (await request(app).get('/adoption')).body);
    expect(delivery).toMatchObject({
      revokedStillRunning: 0,
      revokedReplaced: 1,
    });
    expect(delivery.revokedReplaceMedianHours).toBeGreaterThanOrEqual(0);
    expect(delivery.revokedReplaceMedianHours).toBeLessThan(1);
    expect(sent).toHaveLength(1);
  });
});
