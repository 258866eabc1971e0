import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  describeRemediationPolicy,
  DriftGroup,
  DriftGroupRemediation,
  DriftResponse,
  FINISHED_ROLLOUT_STATES,
  ImmutableInfraAnnotations,
  isInRemediationWindow,
  parseImmutableInfraAnnotations,
  parseRolloutAlarm,
  RemediationPolicy,
  RolloutState,
} from '@immutable-infra/backstage-plugin-common';
import { REMEDIATION_ACTOR } from '../rollouts/RolloutReplacements';
import {
  likelySource,
  policyNames,
  RECURRENCES_BEFORE_STOP,
  REMEDIATION_DAY_MS,
} from './remediationRules';
import { RemediationAction, RemediationStore } from './RemediationStore';

/** An enrolled entity as the plugin's copy holds it. @internal */
export type RemediationEntity = {
  entityRef: string;
  name: string;
  /** Its `immutable-infra.io/` annotations. */
  annotations: Record<string, string>;
};

/** What the remediator needs of the rest of the plugin. @internal */
export type RemediatorOptions = {
  store: RemediationStore;
  /** The enrolled entities. */
  entities: () => Promise<RemediationEntity[]>;
  /** The entity's drift as the drift API answers it. */
  drift: (entityRef: string) => Promise<DriftResponse>;
  /** Whether a rollout holds the entity's environment. */
  activeRollout: (entityRef: string, environment: string) => Promise<boolean>;
  /** Starts an ordinary replace-drifted rollout as the remediation actor. */
  startRollout: (options: {
    entityRef: string;
    environment: string;
    rootCause: string;
    reason: string;
    payload: Record<string, unknown>;
  }) => Promise<{ id: string; toVersion: string }>;
  /** CloudWatch alarm states by name in a region (`OK`, `ALARM`, …). */
  alarmStates: (options: {
    region: string;
    account?: string;
    names: string[];
  }) => Promise<Map<string, { state: string; reason?: string }>>;
  /** The organisation default (`immutableInfra.remediation.policy`). */
  defaultPolicy: RemediationPolicy;
  /** Automatic rollouts active at once per account and region. */
  maxConcurrent: number;
  /** Sends a Backstage notification; never throws. */
  notify?: (notification: NotificationSendOptions) => Promise<void>;
  logger: LoggerService;
};

/** An entity's effective policy and where it comes from. @internal */
export type EffectivePolicy = {
  policy: RemediationPolicy;
  source: 'annotation' | 'config';
  text: string;
};

/** What one tick did, for logs and tests. @internal */
export type RemediationTickResult = {
  started: { entityRef: string; rootCause: string; rolloutId: string }[];
  observed: { entityRef: string; rootCause: string }[];
  stopped: { entityRef: string; rootCause: string }[];
  /** Why a named group did not start, by `entityRef rootCause environment`. */
  waiting: Map<string, string>;
};

const ACTIVE: ReadonlyArray<RolloutState> = ['pending', 'running', 'paused'];

function sameSet(a: string[], b: string[]) {
  return a.length === b.length && a.every(x => b.includes(x));
}

function entityPath(entityRef: string) {
  const e = parseEntityRef(entityRef);
  return [e.namespace, e.kind, e.name]
    .map(p => encodeURIComponent(p.toLocaleLowerCase('en-US')))
    .join('/');
}

/**
 * Applies each enrolled entity's remediation policy to its drift: for each
 * root cause the policy names, an ordinary replace-drifted rollout (same
 * plan, gate, minimum healthy capacity, alarms and audit) started as
 * `plugin:immutable-infra/remediation`, only inside the policy's window,
 * while none of the entity's rollout alarms is in ALARM and no other
 * rollout holds the environment, within the daily limit and the limit per
 * account and region. A root cause that comes back after two automatic
 * replacements within a day stops automation; observe mode records what it
 * would replace. Runs on the scheduler, one replica at a time.
 *
 * @internal
 */
export class Remediator {
  constructor(private readonly options: RemediatorOptions) {}

  /** The policy of an entity: its annotation, else the organisation default. */
  effectivePolicy(
    annotations: Pick<ImmutableInfraAnnotations, 'remediation'>,
    raw?: string,
  ): EffectivePolicy {
    if (annotations.remediation) {
      return {
        policy: annotations.remediation,
        source: 'annotation',
        text: raw ?? describeRemediationPolicy(annotations.remediation),
      };
    }
    return {
      policy: this.options.defaultPolicy,
      source: 'config',
      text: describeRemediationPolicy(this.options.defaultPolicy),
    };
  }

  /** One pass over every enrolled entity. */
  async tick(now = new Date()): Promise<RemediationTickResult> {
    const result: RemediationTickResult = {
      started: [],
      observed: [],
      stopped: [],
      waiting: new Map(),
    };
    const active = await this.options.store.listActiveStarted();
    const load = new Map<string, number>();
    for (const action of active) {
      for (const region of action.regions) {
        const key = `${action.account ?? ''}/${region}`;
        load.set(key, (load.get(key) ?? 0) + 1);
      }
    }
    for (const entity of await this.options.entities()) {
      try {
        await this.remediate(entity, now, load, result);
      } catch (error) {
        this.options.logger.warn(
          `Remediation of ${entity.entityRef} skipped this time: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    }
    return result;
  }

  private async remediate(
    entity: RemediationEntity,
    now: Date,
    load: Map<string, number>,
    result: RemediationTickResult,
  ) {
    const { annotations, errors } = parseImmutableInfraAnnotations({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: entity.name, annotations: entity.annotations },
    });
    if (errors.length > 0 || !annotations.imageFamily) {
      // A malformed annotation is answered by the entity's pages; nothing
      // is replaced on a policy that cannot be read.
      return;
    }
    const effective = this.effectivePolicy(
      annotations,
      entity.annotations['immutable-infra.io/remediation'],
    );
    const { policy } = effective;
    if (policy.mode === 'off') {
      return;
    }
    const { entityRef } = entity;
    const drift = await this.options.drift(entityRef);
    const since = new Date(now.getTime() - REMEDIATION_DAY_MS).toISOString();
    const [recent, stops] = await Promise.all([
      this.options.store.listSince({ entityRef, since }),
      this.options.store.latestStops(entityRef),
    ]);
    const at = now.toISOString();

    // A stopped root cause whose drift is gone is automatic again.
    for (const [rootCause, stop] of stops) {
      if (
        stop.kind === 'stopped' &&
        !drift.groups.some(g => g.rootCause === rootCause)
      ) {
        await this.options.store.record(
          {
            entityRef,
            kind: 'resumed',
            rule: stop.rule,
            rootCause,
            detail: `${rootCause} is gone: automation resumes`,
            at,
          },
          {
            actor: REMEDIATION_ACTOR,
            action: 'remediation.resume',
            entityRef,
            subject: rootCause,
            payload: { rule: stop.rule, rootCause },
          },
        );
        stops.delete(rootCause);
      }
    }

    let startedToday = recent.filter(a => a.kind === 'started').length;
    for (const group of drift.groups) {
      if (!policyNames(policy, group)) {
        continue;
      }
      if (policy.mode === 'observe') {
        await this.observe(entityRef, group, recent, effective, at, result);
        continue;
      }
      if (stops.get(group.rootCause)?.kind === 'stopped') {
        continue;
      }
      const mine = recent.filter(
        a => a.kind === 'started' && a.rootCause === group.rootCause,
      );
      const wait = (environment: string, why: string) =>
        result.waiting.set(
          `${entityRef} ${group.rootCause} ${environment}`,
          why,
        );
      if (
        mine.some(
          a =>
            a.rolloutState && ACTIVE.includes(a.rolloutState as RolloutState),
        )
      ) {
        continue;
      }
      const latest = mine[mine.length - 1];
      if (
        latest?.rolloutState &&
        FINISHED_ROLLOUT_STATES.includes(latest.rolloutState as RolloutState) &&
        latest.rolloutState !== 'succeeded'
      ) {
        // A failed or aborted automatic replacement is not tried again
        // automatically: a person looks first.
        wait(
          '*',
          `the automatic rollout ${latest.rolloutId} ${latest.rolloutState}`,
        );
        continue;
      }
      const succeeded = mine.filter(a => a.rolloutState === 'succeeded');
      const replaced = new Set(succeeded.flatMap(a => a.instanceIds));
      if (group.instanceIds.some(id => replaced.has(id))) {
        // The inventory still shows instances a rollout replaced: the next
        // sync tells whether the drift came back on their twins.
        continue;
      }
      if (succeeded.length >= RECURRENCES_BEFORE_STOP) {
        await this.stop(entityRef, group, succeeded, annotations, at);
        result.stopped.push({ entityRef, rootCause: group.rootCause });
        continue;
      }
      const environments = [
        ...new Set(
          group.findings
            .filter(f => f.instanceId && f.environment)
            .map(f => f.environment!),
        ),
      ];
      for (const environment of environments) {
        if (policy.window && !isInRemediationWindow(policy.window, now)) {
          wait(environment, 'outside the window');
          continue;
        }
        if (startedToday >= policy.maxPerDay) {
          wait(
            environment,
            `${policy.maxPerDay} automatic rollouts in the last day`,
          );
          continue;
        }
        if (await this.options.activeRollout(entityRef, environment)) {
          wait(environment, `another rollout of ${environment} is active`);
          continue;
        }
        const findings = group.findings.filter(
          f => f.environment === environment && f.instanceId,
        );
        const regions = [
          ...new Set(
            findings.map(f => f.region).filter((r): r is string => !!r),
          ),
        ];
        const alarm = await this.alarmInAlarm(annotations, regions);
        if (alarm) {
          wait(environment, alarm);
          continue;
        }
        const account = annotations.awsAccountId;
        const full = regions.find(
          r =>
            (load.get(`${account ?? ''}/${r}`) ?? 0) >=
            this.options.maxConcurrent,
        );
        if (full) {
          wait(
            environment,
            `${this.options.maxConcurrent} automatic rollouts already run in ${full}`,
          );
          continue;
        }
        const instanceIds = findings.map(f => f.instanceId!);
        const reason = `auto-remediation of ${group.rule} (${group.rootCause}) by policy "${effective.text}"`;
        const started = await this.options.startRollout({
          entityRef,
          environment,
          rootCause: group.rootCause,
          reason,
          payload: {
            autoRemediation: {
              rule: group.rule,
              rootCause: group.rootCause,
              policy: effective.text,
              policySource: effective.source,
            },
          },
        });
        await this.options.store.record(
          {
            entityRef,
            kind: 'started',
            rule: group.rule,
            rootCause: group.rootCause,
            environment,
            rolloutId: started.id,
            account,
            regions,
            instanceIds,
            detail: effective.text,
            at,
          },
          {
            actor: REMEDIATION_ACTOR,
            action: 'remediation.start',
            entityRef,
            subject: started.id,
            payload: {
              rule: group.rule,
              rootCause: group.rootCause,
              environment,
              policy: effective.text,
              instanceIds,
            },
          },
        );
        startedToday += 1;
        for (const r of regions) {
          const key = `${account ?? ''}/${r}`;
          load.set(key, (load.get(key) ?? 0) + 1);
        }
        result.started.push({
          entityRef,
          rootCause: group.rootCause,
          rolloutId: started.id,
        });
        await this.options.notify?.({
          recipients: { type: 'entity', entityRef },
          payload: {
            title: `${
              parseEntityRef(entityRef).name
            }: automatic replacement of ${group.rootCause} in ${environment}`,
            description: `${instanceIds.length} instance(s) replaced by rollout ${started.id} to ${started.toVersion}: ${reason}.`,
            link: `/catalog/${entityPath(entityRef)}/drift`,
            severity: 'normal',
            topic: 'remediation',
            scope: `remediation:${started.id}`,
          },
        });
        this.options.logger.info(
          `Auto-remediation of ${entityRef}: rollout ${started.id} replaces ${group.rootCause} in ${environment}`,
        );
      }
    }
  }

  /** The first of the entity's rollout alarms in ALARM, or that cannot be read. */
  private async alarmInAlarm(
    annotations: ImmutableInfraAnnotations,
    regions: string[],
  ): Promise<string | undefined> {
    const refs = annotations.rolloutAlarms ?? [];
    const wanted = new Map<string, Set<string>>();
    for (const ref of refs) {
      const { region, name } = parseRolloutAlarm(ref);
      for (const r of region ? [region] : regions) {
        wanted.set(r, (wanted.get(r) ?? new Set()).add(name));
      }
    }
    const found = new Map<string, { state: string; reason?: string }>();
    for (const [region, names] of wanted) {
      const states = await this.options.alarmStates({
        region,
        account: annotations.awsAccountId,
        names: [...names],
      });
      for (const [name, state] of states) {
        found.set(`${region}:${name}`, state);
        if (!found.has(name) || state.state === 'ALARM') {
          found.set(name, state);
        }
      }
    }
    for (const ref of refs) {
      const state = found.get(ref);
      if (!state) {
        return `alarm ${ref} cannot be read`;
      }
      if (state.state === 'ALARM') {
        return `alarm ${ref} is in ALARM`;
      }
    }
    return undefined;
  }

  private async observe(
    entityRef: string,
    group: DriftGroup,
    recent: RemediationAction[],
    effective: EffectivePolicy,
    at: string,
    result: RemediationTickResult,
  ) {
    const last = [...recent]
      .reverse()
      .find(a => a.kind === 'observed' && a.rootCause === group.rootCause);
    const instanceIds = group.instanceIds.slice(0, 100);
    if (last && sameSet(last.instanceIds, instanceIds)) {
      return;
    }
    const environments = [
      ...new Set(group.findings.map(f => f.environment).filter(Boolean)),
    ];
    await this.options.store.record(
      {
        entityRef,
        kind: 'observed',
        rule: group.rule,
        rootCause: group.rootCause,
        instanceIds,
        detail: `would replace ${
          instanceIds.length
        } instance(s) in ${environments.join(', ')} by policy "${
          effective.text
        }"`,
        at,
      },
      {
        actor: REMEDIATION_ACTOR,
        action: 'remediation.observe',
        entityRef,
        subject: group.rootCause,
        payload: {
          rule: group.rule,
          rootCause: group.rootCause,
          instanceIds,
          environments,
          policy: effective.text,
        },
      },
    );
    result.observed.push({ entityRef, rootCause: group.rootCause });
  }

  private async stop(
    entityRef: string,
    group: DriftGroup,
    succeeded: RemediationAction[],
    annotations: ImmutableInfraAnnotations,
    at: string,
  ) {
    const source = likelySource(group, annotations);
    const rolloutIds = succeeded.map(a => a.rolloutId!).filter(Boolean);
    const reason = `${group.rootCause} came back after ${
      rolloutIds.length
    } automatic replacements within a day (${rolloutIds.join(
      ', ',
    )}): drift that replacement cannot fix`;
    await this.options.store.record(
      {
        entityRef,
        kind: 'stopped',
        rule: group.rule,
        rootCause: group.rootCause,
        instanceIds: group.instanceIds,
        detail: JSON.stringify({ reason, likelySource: source, rolloutIds }),
        at,
      },
      {
        actor: REMEDIATION_ACTOR,
        action: 'remediation.stop',
        entityRef,
        subject: group.rootCause,
        payload: {
          rule: group.rule,
          rootCause: group.rootCause,
          reason,
          likelySource: source,
          rolloutIds,
        },
      },
    );
    await this.options.notify?.({
      recipients: { type: 'entity', entityRef },
      payload: {
        title: `${parseEntityRef(entityRef).name}: ${
          group.rootCause
        } is drift that replacement cannot fix`,
        description: `${reason}. Likely source: ${source}. Automation stopped for it until it is gone.`,
        link: `/catalog/${entityPath(entityRef)}/drift`,
        severity: 'high',
        topic: 'remediation',
        scope: `remediation-stop:${entityRef}:${group.rootCause}`,
      },
    });
    this.options.logger.warn(
      `Auto-remediation of ${entityRef} stopped: ${reason}`,
    );
  }

  /**
   * The drift answer with the policy of the entity and of each group: the
   * Drift tab's "automatic", "observe", "manual" or "stopped", the latest
   * automatic rollout, what observe mode recorded, and why automation
   * stopped.
   */
  async describe(options: {
    view: DriftResponse;
    annotations: ImmutableInfraAnnotations;
    rawPolicy?: string;
    now?: Date;
  }): Promise<DriftResponse> {
    const now = options.now ?? new Date();
    const { view } = options;
    const effective = this.effectivePolicy(
      options.annotations,
      options.rawPolicy,
    );
    const { policy } = effective;
    const since = new Date(now.getTime() - REMEDIATION_DAY_MS).toISOString();
    const [recent, stops] = await Promise.all([
      this.options.store.listSince({ entityRef: view.entityRef, since }),
      this.options.store.latestStops(view.entityRef),
    ]);
    const windowOpen = policy.window
      ? isInRemediationWindow(policy.window, now)
      : undefined;
    const startedToday = recent.filter(a => a.kind === 'started').length;
    const groups = view.groups.map(group => {
      const stop = stops.get(group.rootCause);
      const of = recent.filter(a => a.rootCause === group.rootCause);
      const started = of.filter(a => a.kind === 'started').pop();
      const observed = of.filter(a => a.kind === 'observed').pop();
      let remediation: DriftGroupRemediation;
      if (stop?.kind === 'stopped') {
        const detail = (() => {
          try {
            return JSON.parse(stop.detail);
          } catch {
            return { reason: stop.detail, likelySource: '', rolloutIds: [] };
          }
        })();
        remediation = {
          mode: 'stopped',
          stopped: {
            at: stop.at,
            reason: String(detail.reason ?? ''),
            likelySource: String(detail.likelySource ?? ''),
            rolloutIds: Array.isArray(detail.rolloutIds)
              ? detail.rolloutIds.map(String)
              : [],
          },
        };
      } else if (!policyNames(policy, group)) {
        remediation = { mode: 'manual' };
      } else if (policy.mode === 'observe') {
        remediation = { mode: 'observe' };
      } else {
        remediation = { mode: 'automatic' };
        if (windowOpen === false) {
          remediation.waiting = 'outside the window';
        } else if (startedToday >= policy.maxPerDay) {
          remediation.waiting = `${policy.maxPerDay} automatic rollouts in the last day`;
        }
      }
      if (started?.rolloutId) {
        remediation.rollout = {
          id: started.rolloutId,
          environment: started.environment ?? '',
          state: started.rolloutState ?? 'unknown',
          startedAt: started.at,
        };
      }
      if (observed) {
        remediation.observed = {
          at: observed.at,
          instanceIds: observed.instanceIds,
        };
      }
      return { ...group, remediation };
    });
    return {
      ...view,
      groups,
      remediation: {
        policy,
        source: effective.source,
        summary: describeRemediationPolicy(policy),
        ...(windowOpen === undefined ? {} : { windowOpen }),
        startedToday,
      },
    };
  }
}
