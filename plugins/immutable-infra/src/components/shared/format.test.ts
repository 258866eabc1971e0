import {
  ageInDays,
  commitUrl,
  dayCount,
  errorMessage,
  relative,
} from './format';

// Stored data that predates the backend's URL validation.
// eslint-disable-next-line no-script-url
const SCRIPT_URL = 'javascript:alert(1)';

describe('format', () => {
  it('counts whole days and says how long ago', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    expect(ageInDays('2026-03-09T13:00:00Z', now)).toBe(0);
    expect(ageInDays('2026-03-08T12:00:00Z', now)).toBe(2);
    expect(relative(new Date(Date.now() - 50 * 86_400_000).toISOString())).toBe(
      '50 days ago',
    );
    expect(relative(new Date(Date.now() - 86_400_000).toISOString())).toBe(
      '1 day ago',
    );
    expect(dayCount(42)).toBe('42 d');
    expect(dayCount(undefined)).toBe('—');
  });

  it('links a commit only in an http(s) repository', () => {
    expect(commitUrl('https://git.example.com/payments.git', 'abc1234')).toBe(
      'https://git.example.com/payments/commit/abc1234',
    );
    expect(commitUrl('https://git.example.com/payments/', 'abc1234')).toBe(
      'https://git.example.com/payments/commit/abc1234',
    );
    expect(commitUrl('git@github.com:acme/payments.git', 'abc1234')).toBe(
      undefined,
    );
    expect(commitUrl('acme/payments', 'abc1234')).toBe(undefined);
    expect(commitUrl(`${SCRIPT_URL}//`, 'abc1234')).toBe(undefined);
    expect(commitUrl('https://git.example.com/payments', '../x')).toBe(
      undefined,
    );
    expect(commitUrl('https://git.example.com/payments', undefined)).toBe(
      undefined,
    );
  });

  it("words an error in the backend's message when it gave one", () => {
    expect(
      errorMessage(
        Object.assign(new Error('Request failed with 409 Conflict'), {
          cause: { message: 'a rollout of production is running' },
        }),
      ),
    ).toBe('a rollout of production is running');
    expect(errorMessage(new Error('Failed to fetch'))).toBe('Failed to fetch');
  });
});
