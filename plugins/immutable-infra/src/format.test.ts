import { ageInDays, commitUrl, dayCount, isHttpUrl, relative } from './format';

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

  it('lets only absolute http(s) URLs become links', () => {
    expect(isHttpUrl('https://ci.example.com/1')).toBe(true);
    expect(isHttpUrl('http://ci.example.com/1')).toBe(true);
    expect(isHttpUrl(SCRIPT_URL)).toBe(false);
    expect(isHttpUrl(` ${SCRIPT_URL}`)).toBe(false);
    expect(isHttpUrl(SCRIPT_URL.toUpperCase())).toBe(false);
    expect(isHttpUrl('data:text/html,<script>alert(1)</script>')).toBe(false);
    expect(isHttpUrl('git@github.com:acme/payments.git')).toBe(false);
    expect(isHttpUrl('/relative/path')).toBe(false);
    expect(isHttpUrl('not a url')).toBe(false);
    expect(isHttpUrl(undefined)).toBe(false);
  });

  it('links a commit only in an http(s) repository', () => {
    expect(commitUrl('https://git.example.com/payments.git', 'abc123')).toBe(
      'https://git.example.com/payments/commit/abc123',
    );
    expect(commitUrl('https://git.example.com/payments/', 'abc123')).toBe(
      'https://git.example.com/payments/commit/abc123',
    );
    expect(commitUrl('git@github.com:acme/payments.git', 'abc123')).toBe(
      undefined,
    );
    expect(commitUrl(`${SCRIPT_URL}//`, 'abc123')).toBe(undefined);
    expect(commitUrl('https://git.example.com/payments', '../x')).toBe(
      undefined,
    );
    expect(commitUrl('https://git.example.com/payments', undefined)).toBe(
      undefined,
    );
  });
});
