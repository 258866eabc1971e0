/*
 * Runs the rollout chaos (rolloutChaos.ts) from the command line, for runs
 * longer than the test's: scripts/chaos-rollout starts PostgreSQL and moto
 * and calls it.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs rolloutChaosMain.ts \
 *     --postgres postgresql://postgres@127.0.0.1:5432 --ec2 http://127.0.0.1:5000 \
 *     [--kills 50] [--seed 1234] [--replicas 1|2] [--strategy canary|blueGreen]
 *
 * Exits 1 when a check failed; the seed it prints replays the run.
 */
import { parseArgs } from 'node:util';
import { runRolloutChaos } from './rolloutChaos';

async function main() {
  const { values } = parseArgs({
    options: {
      postgres: { type: 'string' },
      ec2: { type: 'string' },
      kills: { type: 'string', default: '50' },
      seed: { type: 'string' },
      replicas: { type: 'string', default: '1' },
      strategy: { type: 'string', default: 'canary' },
    },
  });
  if (!values.postgres || !values.ec2) {
    throw new Error('--postgres and --ec2 are required');
  }
  const replicas = Number(values.replicas);
  if (replicas !== 1 && replicas !== 2) {
    throw new Error('--replicas is 1 or 2');
  }
  const strategy = values.strategy;
  if (strategy !== 'canary' && strategy !== 'blueGreen') {
    throw new Error('--strategy is canary or blueGreen');
  }
  const report = await runRolloutChaos({
    replicas,
    strategy,
    kills: Number(values.kills),
    seed: values.seed
      ? Number(values.seed)
      : Math.floor(Math.random() * 2 ** 31),
    postgresUrl: values.postgres,
    ec2Endpoint: values.ec2,
    // eslint-disable-next-line no-console
    log: line => console.log(line),
  });
  process.exitCode = report.failures.length ? 1 : 0;
}

main().catch(error => {
  // eslint-disable-next-line no-console
  console.error(error);
  process.exitCode = 1;
});
