import {
  RolloutChaosStrategy,
  runRolloutChaos,
} from '../__testUtils__/rolloutChaos';

/*
 * The engine survives SIGKILL: real backends as separate processes on
 * PostgreSQL and the EC2 emulator, killed at random moments of rollouts and
 * started again (src/__testUtils__/rolloutChaos.ts says what is checked).
 * It needs what scripts/test starts: a PostgreSQL server
 * (BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING) and moto
 * (IMMUTABLE_INFRA_TEST_EC2_ENDPOINT). In CI (CI set, or
 * IMMUTABLE_INFRA_REQUIRE_POSTGRES=1 as scripts/test sets it) a missing one
 * fails the file, naming it; elsewhere the file is skipped.
 * ROLLOUT_CHAOS_SEED replays a run; scripts/chaos-rollout runs more kills.
 */

const postgresUrl = Object.entries(process.env)
  .filter(([name]) =>
    /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(name),
  )
  .map(([, value]) => value)
  .find(Boolean);
const ec2Endpoint = process.env.IMMUTABLE_INFRA_TEST_EC2_ENDPOINT;

const missing = [
  postgresUrl
    ? undefined
    : 'a PostgreSQL server: set BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING=postgresql://postgres@127.0.0.1:<port>',
  ec2Endpoint
    ? undefined
    : 'the EC2 emulator: start python3 -m moto.server -H 127.0.0.1 -p <port> and set IMMUTABLE_INFRA_TEST_EC2_ENDPOINT=http://127.0.0.1:<port>',
].filter(Boolean);
const inCi =
  (!!process.env.CI && process.env.CI !== 'false') ||
  process.env.IMMUTABLE_INFRA_REQUIRE_POSTGRES === '1';
if (missing.length > 0 && inCi) {
  throw new Error(
    `The rollout chaos test needs ${missing.join(
      '; and ',
    )} (scripts/test starts both).`,
  );
}

/** Runs the chaos and expects every check passed, every rollout exact. */
async function expectChaosPasses(options: {
  strategy: RolloutChaosStrategy;
  replicas: 1 | 2;
  kills: number;
}) {
  const report = await runRolloutChaos({
    ...options,
    seed: process.env.ROLLOUT_CHAOS_SEED
      ? Number(process.env.ROLLOUT_CHAOS_SEED)
      : Math.floor(Math.random() * 2 ** 31),
    postgresUrl: postgresUrl!,
    ec2Endpoint: ec2Endpoint!,
    log: line => process.stderr.write(`${line}\n`),
  });
  expect(report.failures).toEqual([]);
  expect(report.kills).toBe(options.kills);
  expect(report.rollouts.length).toBeGreaterThanOrEqual(1);
  expect(report.rollouts.map(r => r.launched)).toEqual(
    report.rollouts.map(r => r.planned),
  );
  expect(report.observations).toBeGreaterThan(options.kills);
  // Never below the capacity, and seen at it.
  expect(report.minRunning).toEqual({ group: 4, standalone: 3 });
  if (options.replicas === 2) {
    expect(report.ticksByBackend.a).toBeGreaterThan(0);
    expect(report.ticksByBackend.b).toBeGreaterThan(0);
  }
  return report;
}

// Each start of a backend takes seconds, more on a busy machine.
jest.setTimeout(600_000);

(missing.length === 0 ? describe : describe.skip)(
  'rollouts under SIGKILL (backends as processes on PostgreSQL and moto)',
  () => {
    it('canary, one backend killed 10 times: launched equals planned, no orphan, capacity never below the minimum, the fleet ends on the new version', async () => {
      await expectChaosPasses({ strategy: 'canary', replicas: 1, kills: 10 });
    });

    it('canary, two replicas on one PostgreSQL, each killed in turn: every step once, one run of the engine at a time', async () => {
      await expectChaosPasses({ strategy: 'canary', replicas: 2, kills: 4 });
    });

    it('blue-green, two replicas killed 10 times: green launched once beside blue, blue terminated after the switch, the same checks', async () => {
      const report = await expectChaosPasses({
        strategy: 'blueGreen',
        replicas: 2,
        kills: 10,
      });
      // Green ran beside blue: each fleet seen at twice its capacity.
      expect(report.maxRunning).toEqual({ group: 8, standalone: 6 });
    });
  },
);
