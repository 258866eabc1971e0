import { checkpointKey } from './checkpointKey';

describe('checkpointKey', () => {
  const request = { family: 'payments-api', manifest: { builds: [1, 2] } };
  const key = (stepId: string | undefined, body: unknown) =>
    checkpointKey({
      ctx: { step: stepId === undefined ? undefined : { id: stepId } },
      name: 'register',
      family: 'payments-api',
      request: body,
    });

  it('names the step and the family, and is the same for an equal request', () => {
    expect(key('register', request)).toMatch(
      /^register:register:payments-api:[0-9a-f]{16}$/,
    );
    expect(
      key('register', {
        manifest: { builds: [1, 2] },
        family: 'payments-api',
        gitCommit: undefined,
      }),
    ).toBe(key('register', request));
  });

  it('differs between steps and between requests', () => {
    expect(key('other', request)).not.toBe(key('register', request));
    expect(
      key('register', { ...request, manifest: { builds: [2, 1] } }),
    ).not.toBe(key('register', request));
  });

  it('still tells requests apart without a step', () => {
    expect(key(undefined, request)).toMatch(/^register::payments-api:/);
    expect(key(undefined, { ...request, gitCommit: 'abc1234' })).not.toBe(
      key(undefined, request),
    );
  });
});
