import { mockServices } from '@backstage/backend-test-utils';
import { RolloutAction } from '@immutable-infra/backstage-plugin-common';
import { Inventory } from '../drift/types';
import { AwsModel, AwsModelOptions } from '../rollouts/AwsModel.testUtil';
import { InMemoryRolloutStore } from './inMemoryRolloutStore';
import { planRollout } from '../rollouts/plan';
import { RolloutEngine } from '../rollouts/RolloutEngine';
import {
  NewRollout,
  RolloutChange,
  RolloutRecord,
  RolloutStore,
} from '../rollouts/RolloutStore';

export const ENTITY = 'component:default/web';
export const ROLLOUT_ID = '00000000-0000-4000-8000-000000000001';
export const GROUP = 'web';
export const OLD_AMI = 'ami-00000000000000001';
export const NEW_AMI = 'ami-00000000000000002';
const TAGS = { app: 'web', environment: 'production' };

/** A fleet, a rollout of it and an engine, over the AWS model. */
export type HarnessOptions = {
  seed?: number;
  fleet: 'group' | 'standalone';
  capacity: number;
  /** The rollout's spec (strategy, steps, surge, health, deadline); none: the default. */
  spec?: Record<string, unknown>;
  /** `immutable-infra.io/rollout-alarms`. */
  alarms?: string[];
  stateful?: boolean;
  /** The group protects new instances from scale-in itself. */
  protect?: boolean;
  /** The fleet serves behind a target group. */
  targetGroup?: boolean;
  /** Standalone: blue-green's green waits in a preview target group until the switch. */
  previewTargetGroup?: boolean;
  /** The target group's deregistration delay (20 s by default). */
  deregistrationDelaySeconds?: number;
  movesChannel?: boolean;
  /** Standalone instances of the same app in staging, which a production rollout leaves alone. */
  staging?: number;
  /** replace-drifted: the first `drifted` instances have drift. */
  drifted?: number;
  maxSize?: number;
  minSize?: number;
  model?: AwsModelOptions;
};

/**
 * The inventory a sync of the model would write for one app (its
 * instances, by the `app` tag; its launch template; its group, if any).
 */
export function modelInventory(
  model: AwsModel,
  fleet: { entityRef: string; app: string; templateId: string; group?: string },
): Inventory {
  const live = model
    .liveInstances(t => t.app === fleet.app)
    .map(id => model.instance(id));
  const template = model.template(fleet.templateId);
  const imageId = template.versions[0].imageId;
  const group = fleet.group ? model.groupSnapshot(fleet.group) : undefined;
  return {
    instances: live.map(i => ({
      entityRef: fleet.entityRef,
      instanceId: i.instanceId,
      environment: i.tags.environment,
      region: model.region,
      imageId: i.imageId,
      state: i.state,
      asg: i.group,
      sshExposure: 'none',
      sshSources: [],
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-01-01T00:00:00.000Z',
    })),
    launchTemplates: [
      {
        id: fleet.templateId,
        name: fleet.app,
        region: model.region,
        defaultVersion: template.defaultVersion,
        imageId,
      },
    ],
    autoscalingGroups: group
      ? [
          {
            environment: group.tags.environment,
            name: group.name,
            region: model.region,
            group: {
              name: group.name,
              region: model.region,
              minSize: group.minSize,
              maxSize: group.maxSize,
              desiredCapacity: group.desiredCapacity,
              newInstancesProtectedFromScaleIn: group.protectNewInstances,
              launchTemplate: {
                id: fleet.templateId,
                name: fleet.app,
                version: group.launchTemplate.version,
                resolvedVersion: Number(group.launchTemplate.version),
                imageId,
              },
              instances: group.instances.map(i => ({
                instanceId: i.instanceId,
                lifecycleState: i.lifecycleState,
              })),
              targetGroupArns: group.targetGroupArns,
            },
          },
        ]
      : [],
  } as Inventory;
}

/**
 * Builds the fleet in a settled model and plans the rollout as the service
 * would from a sync: the model and the rollout as a store creates it.
 */
export async function modelFleet(options: HarnessOptions) {
  const model = new AwsModel({ seed: options.seed ?? 1, ...options.model });
  const templateId = model.createLaunchTemplate({
    name: 'web',
    imageId: OLD_AMI,
    subnetId: 'subnet-a',
  });
  const targetGroupArns = options.targetGroup
    ? [
        model.createTargetGroup({
          name: 'web',
          deregistrationDelaySeconds: options.deregistrationDelaySeconds ?? 20,
        }),
      ]
    : [];
  const previewTargetGroupArns = options.previewTargetGroup
    ? [
        model.createTargetGroup({
          name: 'web-preview',
          deregistrationDelaySeconds: options.deregistrationDelaySeconds ?? 20,
        }),
      ]
    : [];
  if (options.fleet === 'group') {
    model.createGroup({
      name: GROUP,
      templateId,
      minSize: options.minSize ?? Math.min(1, options.capacity),
      maxSize: options.maxSize ?? options.capacity * 2,
      desiredCapacity: options.capacity,
      targetGroupArns,
      tags: TAGS,
      protectNewInstances: options.protect,
    });
  } else {
    for (let n = 0; n < options.capacity; n++) {
      const subnetId = ['subnet-a', 'subnet-b', 'subnet-c'][n % 3];
      await model.launchInstances({
        region: model.region,
        templateId,
        version: 1,
        count: 1,
        tags: TAGS,
        clientToken: `seed-${n}`,
        subnetId,
      });
    }
    if (targetGroupArns.length) {
      model.settle();
      await model.setTargetMembership({
        region: model.region,
        targetGroupArns,
        instanceIds: model.liveInstances(t => t.app === 'web'),
        registered: true,
      });
    }
  }
  for (let n = 0; n < (options.staging ?? 0); n++) {
    await model.launchInstances({
      region: model.region,
      templateId,
      version: 1,
      count: 1,
      tags: { ...TAGS, environment: 'staging' },
      clientToken: `staging-${n}`,
    });
  }
  model.settle();
  const inventory = modelInventory(model, {
    entityRef: ENTITY,
    app: 'web',
    templateId,
    group: options.fleet === 'group' ? GROUP : undefined,
  });
  const drifted = options.drifted
    ? new Set(
        inventory.instances.slice(0, options.drifted).map(i => i.instanceId),
      )
    : undefined;
  const planned = planRollout({
    environment: 'production',
    annotations: {
      imageFamily: 'web',
      fleetSelector: [{ key: 'app', value: 'web' }],
      environments: ['production'],
      stateful: options.stateful ?? false,
      rolloutAlarms: options.alarms,
    },
    inventory,
    targetImages: new Map([[model.region, NEW_AMI]]),
    spec: options.spec as any,
    driftedInstanceIds: drifted,
  });
  if (!planned.plan) {
    throw new Error(`no plan: ${planned.problems.join('; ')}`);
  }
  if (options.fleet === 'standalone' && targetGroupArns.length) {
    planned.plan.fleets = planned.plan.fleets.map(f => ({
      ...f,
      targetGroupArns,
      ...(previewTargetGroupArns.length ? { previewTargetGroupArns } : {}),
    }));
  }
  const rollout: NewRollout = {
    id: ROLLOUT_ID,
    entityRef: ENTITY,
    environment: 'production',
    family: 'web',
    toVersion: 'web@2',
    movesChannel: options.movesChannel ?? true,
    strategy: planned.plan.strategy,
    state: 'pending',
    currentStep: 0,
    promoted: false,
    createdBy: 'user:default/ada',
    plan: {
      ...planned.plan,
      selector: [{ key: 'app', value: 'web' }],
      environmentTag: 'environment',
    },
  };
  return {
    model,
    templateId,
    targetGroupArns,
    previewTargetGroupArns,
    rollout,
  };
}

/**
 * Drives an engine over the model: `tick` is one engine tick then one
 * model step; `until` ticks until `done` holds of the rollout.
 */
export function modelDriver(options: {
  model: AwsModel;
  engine: RolloutEngine;
  record: () => Promise<RolloutRecord>;
}) {
  const { model, engine, record } = options;
  return {
    /** One engine tick, then one step of the cloud. */
    async tick(): Promise<RolloutRecord> {
      await engine.tick();
      model.step();
      return record();
    },
    /** Ticks until `done` holds of the rollout, at most `max` times. */
    async until(
      done: (r: RolloutRecord) => boolean,
      max = 400,
    ): Promise<RolloutRecord> {
      for (let i = 0; i < max; i++) {
        const now = await record();
        if (done(now)) {
          return now;
        }
        await engine.tick();
        model.step();
      }
      const last = await record();
      throw new Error(
        `not reached in ${max} ticks: ${last.state} at step ${
          last.currentStep
        }${last.reason ? ` (${last.reason})` : ''}`,
      );
    },
  };
}

/**
 * Builds the fleet in a settled model, plans the rollout as the service
 * would from a sync, creates it, and answers the handles a test drives:
 * `tick` is one engine tick then one model step.
 */
export async function rolloutHarness(options: HarnessOptions) {
  const {
    model,
    templateId,
    targetGroupArns,
    previewTargetGroupArns,
    rollout,
  } = await modelFleet(options);
  const store = new InMemoryRolloutStore(() => model.now());
  await store.create({ rollout, events: [], audit: [] });
  const engine = (concurrency = 1, through: RolloutStore = store) =>
    new RolloutEngine({
      store: through,
      provider: model,
      logger: mockServices.logger.mock(),
      now: () => model.now(),
      versionState: async (family, version) => ({
        state: store.versionStates.get(`${family}@${version}`) ?? 'active',
      }),
      concurrency,
    });
  /**
   * An engine that dies after `calls` AWS calls: the call throws, and so
   * does every later write of that engine (a process killed between
   * recording a change and making it, or half way through making it).
   */
  const crashingEngine = (calls: number) => {
    let left = calls;
    let dead = false;
    const die = () => {
      dead = true;
      throw new Error('the engine process died');
    };
    const provider = new Proxy(model, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') {
          return value;
        }
        return (...args: unknown[]) => {
          if (dead || left-- <= 0) {
            die();
          }
          return value.apply(target, args);
        };
      },
    });
    const deadStore = new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') {
          return value;
        }
        return (...args: unknown[]) => {
          if (dead) {
            die();
          }
          return value.apply(target, args);
        };
      },
    });
    return new RolloutEngine({
      store: deadStore,
      provider,
      logger: mockServices.logger.mock(),
      now: () => model.now(),
      versionState: async (family, version) => ({
        state: store.versionStates.get(`${family}@${version}`) ?? 'active',
      }),
    });
  };
  const main = engine();
  const record = async () => (await store.get(ROLLOUT_ID))!;
  return {
    model,
    store,
    engine,
    crashingEngine,
    templateId,
    targetGroupArns,
    previewTargetGroupArns,
    record,
    view: async () => (await store.getView(ROLLOUT_ID))!,
    ...modelDriver({ model, engine: main, record }),
    /** A user's action as the service applies it (the same rules); false when refused. */
    async act(action: RolloutAction, reason?: string): Promise<boolean> {
      const now = await record();
      const change = userChange(now, action, model.now(), reason);
      if (!change) {
        return false;
      }
      return store.update(
        ROLLOUT_ID,
        now.revision,
        change.change,
        change.expected,
      );
    },
  };
}

/** What the service does for a user's action, or undefined where it answers 409. */
export function userChange(
  rollout: RolloutRecord,
  action: RolloutAction,
  now: number,
  reason?: string,
): { change: RolloutChange; expected?: { currentStep?: number } } | undefined {
  const finished = ['succeeded', 'failed', 'aborted'].includes(rollout.state);
  const event = [
    { kind: action, message: `user: ${action}`, actor: 'user:default/ada' },
  ];
  switch (action) {
    case 'pause':
      return ['pending', 'running'].includes(rollout.state)
        ? { change: { state: 'paused', events: event } }
        : undefined;
    case 'resume':
      return rollout.state === 'paused'
        ? {
            change: {
              state: 'running',
              reason: null,
              stepStartedAt: new Date(now).toISOString(),
              events: event,
            },
          }
        : undefined;
    case 'promote': {
      const step = rollout.plan.steps[rollout.currentStep];
      return rollout.state === 'running' &&
        step?.kind === 'pause' &&
        !rollout.promoted
        ? {
            change: { promoted: true, events: event },
            expected: { currentStep: rollout.currentStep },
          }
        : undefined;
    }
    case 'abort':
      return finished
        ? undefined
        : {
            change: {
              state: 'aborted',
              reason: `aborted by user${reason ? `: ${reason}` : ''}`,
              events: event,
            },
          };
    case 'retry':
      return ['aborted', 'failed'].includes(rollout.state) && !rollout.active
        ? {
            change: {
              state: 'pending',
              currentStep: 0,
              promoted: false,
              reason: null,
              reacquire: true,
              events: event,
            },
          }
        : undefined;
    default:
      return undefined;
  }
}
