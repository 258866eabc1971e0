#!/usr/bin/env node
// Sets a demo CloudWatch alarm's state in the emulator, as CloudWatch does
// when a metric crosses its threshold: ALARM aborts the rollouts that watch
// the alarm (immutable-infra.io/rollout-alarms) on the engine's next tick,
// with the alarm and this reason named; OK lets a retry run again.
//
// usage: node scripts/demo-alarm.mjs <alarm> [ALARM|OK|INSUFFICIENT_DATA] [endpoint]
//   e.g. node scripts/demo-alarm.mjs payments-api-5xx ALARM
// The endpoint defaults to $MOTO_URL, else http://127.0.0.1:5000 (scripts/start).

import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';

const STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];
const [alarm, state = 'ALARM', endpoint] = process.argv.slice(2);

if (!alarm || !STATES.includes(state)) {
  console.error(
    `usage: node scripts/demo-alarm.mjs <alarm> [${STATES.join(
      '|',
    )}] [endpoint]`,
  );
  process.exit(2);
}

const cloudwatch = new CloudWatchClient({
  region: 'us-east-1',
  endpoint: endpoint ?? process.env.MOTO_URL ?? 'http://127.0.0.1:5000',
  maxAttempts: 1,
  credentials: {
    accessKeyId: 'immutable-infra-emulator',
    secretAccessKey: 'immutable-infra-emulator',
  },
});

async function main() {
  const { MetricAlarms = [] } = await cloudwatch.send(
    new DescribeAlarmsCommand({ AlarmNames: [alarm] }),
  );
  if (MetricAlarms.length === 0) {
    const all = await cloudwatch.send(new DescribeAlarmsCommand({}));
    const names = (all.MetricAlarms ?? []).map(a => a.AlarmName).join(', ');
    throw new Error(
      `there is no alarm ${alarm} in the emulator (its alarms: ${
        names || 'none'
      })`,
    );
  }
  await cloudwatch.send(
    new SetAlarmStateCommand({
      AlarmName: alarm,
      StateValue: state,
      StateReason:
        state === 'ALARM'
          ? 'Threshold crossed: set by scripts/demo-alarm.mjs'
          : `Set to ${state} by scripts/demo-alarm.mjs`,
    }),
  );
  console.log(
    `${alarm}: ${MetricAlarms[0].StateValue} → ${state}${
      state === 'ALARM' ? ' (rollouts watching it abort on the next tick)' : ''
    }`,
  );
}

main().catch(error => {
  console.error(`setting the alarm failed: ${error.message}`);
  process.exit(1);
});
