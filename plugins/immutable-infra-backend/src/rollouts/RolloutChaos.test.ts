import { runRolloutChaos } from '../__testUtils__/rolloutChaos';

/*
 * The engine survives SIGKILL: real backends as separate processes on
 * PostgreSQL and the EC2 emulator, killed at random moments of rollouts and
 * started again (src/__testUtils__/rolloutChaos.ts says what is checked).
 * It needs what scripts/test starts: a PostgreSQL server
 * (BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING) and moto
 * (IMMUTABLE_INFRA_TEST_EC2_ENDPOINT); without them it is skipped, unless
 * IMMUTABLE_INFRA_REQUIRE_POSTGRES=1 says PostgreSQL must be there.
 * ROLLOUT_CHAOS_SEED replays a run; scripts/chaos-rollout runs more kills.
 */

const postgresUrl = Object.entries(process.env)
  .filter(([name]) =>
    /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(name),
  )
  .map(([, value]) => value)
  .find(Boolean);
const ec2Endpoint = process.env.IMMUTABLE_INFRA_TEST_EC2_ENDPOINT;

if (!postgresUrl && process.env.IMMUTABLE_INFRA_REQUIRE_POSTGRES === '1') {
  throw new Error(
    'IMMUTABLE_INFRA_REQUIRE_POSTGRES=1 but no BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING is set',
  );
}

/** Runs the chaos and expects every check passed, every rollout exact. */
async function chaos(replicas: 1 | 2, kills: number) {
  const report = await runRolloutChaos({
    replicas,
    kills,
    seed: process.env.ROLLOUT_CHAOS_SEED
      ? Number(process.env.ROLLOUT_CHAOS_SEED)
      : Math.floor(Math.random() * 2 ** 31),
    postgresUrl: postgresUrl!,
    ec2Endpoint: ec2Endpoint!,
    log: line => process.stderr.write(`${line}\n`),
  });
  expect(report.failures).toEqual([]);
  expect(report.rollouts.length).toBeGreaterThanOrEqual(1);
  for (const rollout of report.rollouts) {
    expect(rollout.launched).toBe(rollout.planned);
  }
  expect(report.observations).toBeGreaterThan(kills);
  // Never below the capacity, and seen at it.
  expect(report.minRunning).toEqual({ group: 4, standalone: 3 });
  return report;
}

// Each start of a backend takes seconds, more on a busy machine.
jest.setTimeout(600_000);

(postgresUrl && ec2Endpoint ? describe : describe.skip)(
  'rollouts under SIGKILL (backends as processes on PostgreSQL and moto)',
  () => {
    it('one backend killed 10 times: launched equals planned, no orphan, capacity never below the minimum, the fleet ends on the new version', async () => {
      const report = await chaos(1, 10);
      expect(report.kills).toBe(10);
    });

    it('two replicas on one PostgreSQL, each killed in turn: every step once, one run of the engine at a time', async () => {
      const report = await chaos(2, 4);
      expect(report.kills).toBe(4);
      expect(report.ticksByBackend.a).toBeGreaterThan(0);
      expect(report.ticksByBackend.b).toBeGreaterThan(0);
    });
  },
);
