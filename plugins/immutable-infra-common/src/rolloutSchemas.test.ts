import { problems } from './__testUtils__/problems';
import { canaryStepsSchema, rolloutPathParamsSchema } from './rolloutSchemas';

describe('canary steps', () => {
  const STEP_RULE =
    'must be one of {setWeight: a whole number from 1 to 100}, {pause: {duration?}} or {analysis: {duration, alarms?}}';

  it.each([
    [{ setWeight: 50.5 }, '0.setWeight must be a whole number from 1 to 100'],
    [{ setWeight: '100' }, '0.setWeight must be a whole number from 1 to 100'],
    [{ setWeight: 0 }, '0.setWeight must be a whole number from 1 to 100'],
    [
      { pause: { duration: 'soon' } },
      '0.pause.duration must be a whole number',
    ],
    ['100', `0 ${STEP_RULE}`],
    [{}, `0 ${STEP_RULE}`],
    [{ setWeight: 10, pause: {} }, `0 ${STEP_RULE}`],
  ])('say what is expected of %j', (step, message) => {
    expect(problems(canaryStepsSchema, [step, { setWeight: 100 }])).toContain(
      message,
    );
  });
});

describe('rollout ids', () => {
  it.each([
    '0b6f3c9e-5d2a-4f1b-9c8e-7a6d5e4f3b2a',
    '00000000-0000-4000-8000-000000000000',
  ])('accepts the UUID %s', id => {
    expect(problems(rolloutPathParamsSchema, { id })).toBeUndefined();
  });

  it.each([
    '-'.repeat(36),
    'ffffffff-ffff-ffff-ffff-ffff-fffffff',
    '0b6f3c9e5d2a4f1b9c8e7a6d5e4f3b2a0000',
    '0B6F3C9E-5D2A-4F1B-9C8E-7A6D5E4F3B2A',
    'gb6f3c9e-5d2a-4f1b-9c8e-7a6d5e4f3b2a',
  ])('refuses %s, naming the parameter', id => {
    expect(problems(rolloutPathParamsSchema, { id })).toMatch(
      /^id Invalid rollout id ".*": expected the id POST \/rollouts answered, a UUID/,
    );
  });
});
