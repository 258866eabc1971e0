import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { Knex } from 'knex';
import { createHash, randomUUID } from 'node:crypto';

/*
 * The demo's past: what weeks of use would have left in the plugin's tables,
 * so that the adoption dashboard's delivery and drift figures (deployment
 * frequency, lead time, failure rate, drift lifetime, erased automatically)
 * show numbers on a demo started a minute ago. Only with `demo.history: true`
 * (app-config.yaml; app-config.production.yaml removes it): then
 * `POST /api/immutable-infra/demo/history`, which scripts/seed-demo.mjs calls
 * once the image history is registered, writes past rollouts of each
 * family's registered versions (staging a little after each build,
 * production a day later, some failing first), past drift findings with
 * their lives and an old version revoked weeks ago and replaced within
 * hours, each marked as the demo's. A second call writes nothing.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** How far back the history goes: the delivery figures' window is 90 days. */
const HISTORY_DAYS = 60;
/** The demo's service whose policy erases SSH drift automatically. */
const AUTOMATIC = 'component:default/search-indexer';
const MARK = 'demo history (packages/backend/src/demoHistoryModule.ts)';

type VersionRow = {
  family: string;
  version: number;
  created_at: string | number | Date;
};

function toMs(value: string | number | Date): number {
  if (value instanceof Date) {
    return value.getTime();
  }
  return typeof value === 'number' ? value : Date.parse(value);
}
const iso = (ms: number) => new Date(ms).toISOString();

/** A small deterministic generator: the same demo every time. */
function generator(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A rollout row as the plugin's store writes a finished one. */
function rolloutRow(options: {
  entityRef: string;
  environment: string;
  family: string;
  from?: number;
  to: number;
  state: 'succeeded' | 'failed' | 'aborted';
  startedAt: number;
  finishedAt: number;
  actor: string;
  reason: string;
}) {
  const plan = {
    strategy: 'canary',
    fleets: [],
    steps: [
      { index: 0, kind: 'setWeight', weight: 50, targets: {} },
      { index: 1, kind: 'pause', durationMs: 5 * MINUTE, targets: {} },
      { index: 2, kind: 'setWeight', weight: 100, targets: {} },
    ],
    progressDeadlineMs: 10 * MINUTE,
    stateful: false,
    alarms: [],
    notes: [MARK],
  };
  return {
    id: randomUUID(),
    entity_ref: options.entityRef,
    environment: options.environment,
    family: options.family,
    from_version: options.from ? `${options.family}@${options.from}` : null,
    to_version: `${options.family}@${options.to}`,
    moves_channel: false,
    strategy: 'canary',
    state: options.state,
    current_step: options.state === 'succeeded' ? 3 : 1,
    step_started_at: null,
    promoted: false,
    reason: options.reason,
    created_by: options.actor,
    created_at: iso(options.startedAt),
    updated_at: iso(options.finishedAt),
    revision: 1,
    active_key: null,
    plan: JSON.stringify(plan),
    status: null,
  };
}

/** Past rollouts of each family's versions, up to its channels' versions. */
async function pastRollouts(trx: Knex.Transaction, actor: string, now: number) {
  const families: { name: string; entity_ref: string }[] = await trx(
    'image_families',
  ).select('name', 'entity_ref');
  const versions: VersionRow[] = await trx('image_versions')
    .where('source', 'registered')
    .select('family', 'version', 'created_at')
    .orderBy([{ column: 'family' }, { column: 'version' }]);
  const channels: { family: string; name: string; version: number }[] =
    await trx('channels')
      .join('image_versions', 'channels.version_id', 'image_versions.id')
      .select(
        'channels.family as family',
        'channels.name as name',
        'image_versions.version as version',
      );
  const random = generator(20261206);
  const rows = [];
  for (const family of families) {
    const own = versions.filter(v => v.family === family.name);
    for (const environment of ['staging', 'production']) {
      const channel = channels.find(
        c => c.family === family.name && c.name === environment,
      );
      let from: number | undefined;
      for (const v of own) {
        if (!channel || v.version > channel.version) {
          break;
        }
        const built = toMs(v.created_at);
        // Staging an hour or two after the build, production a day or two.
        const start =
          built +
          (environment === 'staging'
            ? HOUR + random() * HOUR
            : DAY + random() * DAY);
        if (start < now - HISTORY_DAYS * DAY || start > now - 2 * HOUR) {
          from = v.version;
          continue;
        }
        const common = {
          entityRef: family.entity_ref,
          environment,
          family: family.name,
          from,
          to: v.version,
          actor,
        };
        if (environment === 'production' && random() < 0.3) {
          const failed = random() < 0.5;
          rows.push(
            rolloutRow({
              ...common,
              state: failed ? 'failed' : 'aborted',
              startedAt: start - 3 * HOUR,
              finishedAt: start - 3 * HOUR + 20 * MINUTE,
              reason: failed
                ? 'release: a new instance failed its EC2 status checks past the progress deadline'
                : 'release: aborted, error rate up on the canary',
            }),
          );
        }
        rows.push(
          rolloutRow({
            ...common,
            state: 'succeeded',
            startedAt: start,
            finishedAt: start + (15 + random() * 30) * MINUTE,
            reason: 'release',
          }),
        );
        from = v.version;
      }
    }
  }
  for (const row of rows) {
    await trx('rollouts').insert(row);
  }
  return rows.length;
}

/**
 * An old version revoked weeks ago and replaced within hours: the
 * dashboard's time to replace a revoked image. The version runs nowhere
 * today and is on no channel.
 */
const PAST_REVOCATION = {
  family: 'checkout-web',
  version: 1,
  daysAgo: 24,
  replacedAfterHours: 9,
  reason: 'CVE-2026-28810: heap overflow in the TLS library (demo history)',
};

async function pastRevocation(
  trx: Knex.Transaction,
  actor: string,
  now: number,
): Promise<number> {
  const { family, version, daysAgo, replacedAfterHours, reason } =
    PAST_REVOCATION;
  const owner = await trx('image_families').where({ name: family }).first();
  const row = await trx('image_versions')
    .where({ family, version, state: 'active' })
    .first();
  if (!owner || !row) {
    return 0;
  }
  const revokedAt = now - daysAgo * DAY;
  await trx('image_versions')
    .where({ id: row.id })
    .update({
      state: 'revoked',
      revoked_at: iso(revokedAt),
      revoke_reason: reason,
      revoked_by: actor,
    });
  // Entity pages keep the registry in memory until its generation moves,
  // as every write of the plugin's registry moves it.
  await trx('read_model_state').where({ id: 1 }).increment('generation', 1);
  await trx('revoked_image_exposures').insert({
    version_id: `${family}@${version}`,
    entity_ref: owner.entity_ref,
    revoked_at: iso(revokedAt),
    first_seen_at: iso(revokedAt),
    replaced_at: iso(revokedAt + replacedAfterHours * HOUR),
  });
  return 1;
}

const RULES: { rule: string; rootCause: string; hours: [number, number] }[] = [
  { rule: 'ssh-open', rootCause: 'ssh-open:world', hours: [0.5, 30] },
  { rule: 'image-too-old', rootCause: 'image-too-old', hours: [24, 240] },
  { rule: 'instance-too-old', rootCause: 'instance-too-old', hours: [6, 96] },
  {
    rule: 'unregistered-image',
    rootCause: 'unregistered-image',
    hours: [2, 72],
  },
  { rule: 'imdsv1-allowed', rootCause: 'imdsv1-allowed', hours: [4, 120] },
];

/**
 * Past drift findings of the services with instances, with their lives:
 * the automatic policy's SSH findings gone in minutes, replaced by a
 * rollout it started; the others gone in hours or days, by hand or as the
 * instance went.
 */
async function pastFindings(trx: Knex.Transaction, now: number) {
  const entities: { entity_ref: string }[] = await trx('instances')
    .distinct('entity_ref')
    .orderBy('entity_ref');
  const random = generator(6122026);
  const rows = [];
  for (const { entity_ref: entityRef } of entities) {
    const automatic = entityRef === AUTOMATIC;
    for (let day = HISTORY_DAYS - 1; day >= 1; day -= 3 + random() * 6) {
      const picked = automatic
        ? RULES[0]
        : RULES[Math.floor(random() * RULES.length)];
      const firstSeen = now - day * DAY + random() * 12 * HOUR;
      const lifeMs = automatic
        ? (1 + random() * 4) * MINUTE
        : (picked.hours[0] + random() * (picked.hours[1] - picked.hours[0])) *
          HOUR;
      const gone = Math.min(firstSeen + lifeMs, now - HOUR);
      const goneBy = automatic || random() < 0.7 ? 'replaced' : 'terminated';
      const instanceId = `i-0${createHash('sha256')
        .update(`${entityRef}/${firstSeen}`)
        .digest('hex')
        .slice(0, 16)}`;
      rows.push({
        entity_ref: entityRef,
        rule: picked.rule,
        root_cause: picked.rootCause,
        instance_id: instanceId,
        environment: 'production',
        first_seen_at: iso(firstSeen),
        seen_by: picked.rule === 'ssh-open' ? 'event' : 'poll',
        gone_at: iso(gone),
        gone_by: goneBy,
        rollout_id: null,
        automatic: goneBy === 'replaced' ? automatic : null,
        open_key: null,
      });
    }
  }
  for (const row of rows) {
    await trx('finding_lifetimes').insert(row);
  }
  return rows.length;
}

/** Installs `POST /demo/history` on the immutable-infra plugin, when enabled. */
export default createBackendModule({
  pluginId: 'immutable-infra',
  moduleId: 'demo-history',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        database: coreServices.database,
        http: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        logger: coreServices.logger,
      },
      async init({ config, database, http, httpAuth, logger }) {
        if (!config.getOptionalBoolean('demo.history')) {
          return;
        }
        const router = Router();
        router.use(express.json());
        router.post('/demo/history', async (req, res) => {
          const credentials = await httpAuth.credentials(req, {
            allow: ['user'],
          });
          const actor = credentials.principal.userEntityRef;
          if (!actor) {
            throw new NotAllowedError('a signed-in user writes the history');
          }
          const knex = await database.getClient();
          const now = Date.now();
          const written = await knex.transaction(async trx => {
            const done = await trx('audit_events')
              .where({ action: 'demo.history' })
              .first();
            if (done) {
              return { rollouts: 0, findings: 0, revocations: 0 };
            }
            const counts = {
              rollouts: await pastRollouts(trx, actor, now),
              findings: await pastFindings(trx, now),
              revocations: await pastRevocation(trx, actor, now),
            };
            await trx('audit_events').insert({
              actor,
              action: 'demo.history',
              payload: JSON.stringify({ ...counts, note: MARK }),
              at: iso(now),
            });
            return counts;
          });
          logger.info(
            `Demo history: ${written.rollouts} past rollouts, ${written.findings} past drift findings, ${written.revocations} past revocation`,
          );
          res.status(201).json(written);
        });
        http.use(router);
      },
    });
  },
});
