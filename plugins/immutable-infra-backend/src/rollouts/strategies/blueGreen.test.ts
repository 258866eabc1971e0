import { RolloutFleet } from '@immutable-infra/backstage-plugin-common';
import { RolloutProvider } from '../../providers/RolloutProvider';
import { withPreviewTargetGroups } from '../targetGroups';
import { blueGreen } from './blueGreen';

const REGION = 'us-east-1';
const arnOf = (name: string) =>
  `arn:aws:elasticloadbalancing:${REGION}:123456789012:targetgroup/${name}/0123456789abcdef`;

const fleet = (kind: RolloutFleet['kind'], name: string): RolloutFleet => ({
  key: `${kind}:${name}`,
  kind,
  region: REGION,
  name,
  capacity: 2,
  targetImageId: 'ami-0aaaaaaaaaaaaaaa1',
  oldInstanceIds: ['i-0a', 'i-0b'],
  targetGroupArns: [arnOf('shop-live')],
  maxSurge: 2,
  minHealthy: 2,
});

/** Looks up every name it is asked, and records them. */
function lookups() {
  const asked: string[] = [];
  const provider = {
    targetGroupArns: async ({ names }: { names: string[] }) => {
      asked.push(...names);
      return new Map(names.map(n => [n, arnOf(n)]));
    },
  } as unknown as RolloutProvider;
  return { provider, asked };
}

describe('blue-green of an Auto Scaling group', () => {
  it('gives a group no preview target group: it registers what it launches in its own', async () => {
    const { provider, asked } = lookups();
    const group = fleet('autoscaling-group', 'shop-asg');
    const standalone = fleet('instances', 'shop');
    const { fleets, problems } = await withPreviewTargetGroups({
      provider,
      fleets: [group, standalone],
      previewTargetGroups: ['shop-preview'],
    });
    expect(problems).toEqual([]);
    expect(fleets[0]).toEqual(group);
    expect(fleets[1].previewTargetGroupArns).toEqual([arnOf('shop-preview')]);
    expect(asked).toEqual(['shop-preview']);
  });

  it('says that the group puts green in production traffic as soon as it is in service', () => {
    const notes: string[] = [];
    const refused: string[] = [];
    blueGreen.steps({
      environment: 'production',
      annotations: {
        previewTargetGroups: { production: ['shop-preview'] },
      } as any,
      fleets: [fleet('autoscaling-group', 'shop-asg')],
      refuse: p => refused.push(p),
      note: n => notes.push(n),
      analysis: () => ({ alarms: [] }),
    });
    expect(refused).toEqual([]);
    expect(notes).toEqual([
      'green of shop-asg serves production traffic from the moment the group puts it in service: an Auto Scaling group registers what it launches in its own target groups, never in a preview one',
    ]);
  });
});
