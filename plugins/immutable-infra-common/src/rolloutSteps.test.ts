import { RolloutPlanStep } from './rolloutSchemas';
import { describeStep } from './rolloutSteps';

const step = (extra: Partial<RolloutPlanStep>): RolloutPlanStep => ({
  index: 0,
  kind: 'pause',
  targets: {},
  ...extra,
});

describe('describeStep', () => {
  it('says what each kind of step does', () => {
    expect(describeStep(step({ kind: 'setWeight', weight: 10 }))).toBe(
      'new version on 10% of the capacity',
    );
    expect(
      describeStep(step({ kind: 'setWeight', weight: 100, keepOld: true })),
    ).toBe('launch the full new capacity beside the old');
    expect(describeStep(step({ kind: 'pause' }))).toBe('pause until promoted');
    expect(describeStep(step({ kind: 'pause', durationMs: 300_000 }))).toBe(
      'pause 5 min',
    );
    expect(
      describeStep(
        step({
          kind: 'analysis',
          durationMs: 90_000,
          alarms: ['web-5xx', 'us-west-2:web-latency'],
        }),
      ),
    ).toBe(
      'analysis 1 min 30 s, watching alarms web-5xx, us-west-2:web-latency',
    );
    expect(describeStep(step({ kind: 'switch' }))).toBe(
      'switch: traffic moves to the new instances, the old ones leave the target groups',
    );
    expect(
      describeStep(
        step({ kind: 'bake', durationMs: 600_000, alarms: ['web-5xx'] }),
      ),
    ).toBe('bake 10 min, watching alarm web-5xx; the old fleet kept whole');
  });

  it("names the rollout's alarms when a step names none", () => {
    expect(describeStep(step({ kind: 'bake', durationMs: 3_600_000 }))).toBe(
      "bake 1 h, watching the rollout's alarms; the old fleet kept whole",
    );
    expect(describeStep(step({ kind: 'analysis', durationMs: 45_000 }))).toBe(
      "analysis 45 s, watching the rollout's alarms",
    );
  });

  it('says finishing past the last step, and names a kind it does not know', () => {
    expect(describeStep(undefined)).toBe('finishing');
    expect(
      describeStep(
        step({
          kind: 'verify' as RolloutPlanStep['kind'],
          durationMs: 120_000,
        }),
      ),
    ).toBe('verify 2 min');
    expect(
      describeStep(step({ kind: 'verify' as RolloutPlanStep['kind'] })),
    ).toBe('verify');
  });
});
