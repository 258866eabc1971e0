import {
  describeStep,
  Rollout,
} from '@immutable-infra/backstage-plugin-common';
import Typography from '@material-ui/core/Typography';

/** A target group's name, from its ARN (`…:targetgroup/<name>/<id>`). */
function targetGroupName(arn: string) {
  return /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/** What every new instance must pass before an old one goes. */
function gateSentence(rollout: Rollout) {
  const checks = ['be running', 'pass its EC2 status checks'];
  if (rollout.fleets.some(f => f.targetGroupArns.length > 0)) {
    checks.push('be healthy in its target groups');
  }
  if (rollout.probe) {
    checks.push(`answer ${rollout.probe} with a 2xx`);
  }
  const last = checks.pop();
  return `Each new instance must ${checks.join(
    ', ',
  )} and ${last} before an old one goes.`;
}

/** The plan a rollout would follow: its fleets and steps. */
export function PlanView({ rollout }: { rollout: Rollout }) {
  return (
    <>
      <Typography variant="subtitle2">Fleets</Typography>
      <ul>
        {rollout.fleets.map(fleet => (
          <li key={fleet.key}>
            <b>{fleet.name}</b> (
            {fleet.kind === 'autoscaling-group'
              ? 'Auto Scaling group'
              : 'instances'}
            , {fleet.region}): {fleet.capacity} in service,{' '}
            {fleet.oldInstanceIds.length} to replace; at most {fleet.maxSurge}{' '}
            extra at once, at least {fleet.minHealthy} healthy
            {fleet.targetGroupArns.length > 0 &&
              `; gate: healthy in target group${
                fleet.targetGroupArns.length === 1 ? '' : 's'
              } ${fleet.targetGroupArns.map(targetGroupName).join(', ')}`}
            {Object.entries(fleet.dataVolumes ?? {}).map(([id, volumes]) => (
              <div key={id}>
                {id}: data volumes{' '}
                {volumes.length ? volumes.join(', ') : 'none attached'}
              </div>
            ))}
          </li>
        ))}
      </ul>
      <Typography variant="subtitle2">Steps</Typography>
      <ol>
        {rollout.steps.map(step => (
          <li key={step.index}>
            {describeStep(step)}
            {step.kind === 'setWeight' &&
              ` (${Object.values(step.targets).reduce(
                (a, b) => a + b,
                0,
              )} new instances)`}
          </li>
        ))}
      </ol>
      <Typography variant="body2">
        {gateSentence(rollout)} A step that takes longer than{' '}
        {Math.round(rollout.progressDeadlineMs / 60_000)} min fails the rollout.
        {rollout.alarms.length > 0 &&
          ` Alarms watched throughout (one in ALARM aborts it): ${rollout.alarms.join(
            ', ',
          )}.`}
      </Typography>
    </>
  );
}
