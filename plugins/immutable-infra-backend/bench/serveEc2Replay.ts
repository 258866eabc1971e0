/*
 * The EC2 replay server as a process of its own, for scripts/bench-entity-page:
 * BENCH_INSTANCES instances per entity (default 5,000), entities svc-0 to
 * svc-(BENCH_REPLAY_ENTITIES - 1) in the account's inventory listing (a full
 * sync's `tag-key` listing; default 1). Prints its endpoint, then serves
 * until stopped.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/serveEc2Replay.ts
 */
import { startReplayServer } from './ec2ReplayServer';

startReplayServer({
  perEntity: Number(process.env.BENCH_INSTANCES ?? 5000),
  entities: Number(process.env.BENCH_REPLAY_ENTITIES ?? 1),
}).then(({ endpoint }) => {
  console.log(`EC2 replay server on ${endpoint}`);
});
