import { ConfigReader } from '@backstage/config';
import { readSettings, schedulePeriodMs } from './settings';

const MINUTE = 60_000;

function scheduleOf(schedule: object) {
  return readSettings(new ConfigReader({ immutableInfra: { schedule } }))
    .schedule.frequency;
}

describe('readSettings', () => {
  it('applies the defaults', () => {
    const settings = readSettings(new ConfigReader({}));
    expect(settings.schedule).toEqual({
      frequency: { minutes: 5 },
      timeout: { minutes: 3 },
    });
    expect(settings.entityRefresh).toEqual({ seconds: 30 });
    expect(settings.registration).toEqual({
      verifyArtifacts: true,
      timeoutMs: 30_000,
      concurrency: 4,
    });
    expect(settings.drift).toEqual({
      requireSystemsManager: false,
      sessionHistory: true,
      logGraceMs: 2 * 60 * MINUTE,
      logWindowMs: 6 * 60 * MINUTE,
    });
  });

  it('reads the remediation default, off unless configured', () => {
    expect(readSettings(new ConfigReader({})).remediation).toEqual({
      policy: { mode: 'off', targets: [], maxPerDay: 5 },
      frequency: { seconds: 15 },
      maxConcurrent: 2,
    });
    const settings = readSettings(
      new ConfigReader({
        immutableInfra: {
          remediation: {
            policy: 'auto:revoked-image; max-per-day=3',
            frequency: 'PT5S',
            maxConcurrent: 1,
          },
        },
      }),
    );
    expect(settings.remediation).toEqual({
      policy: { mode: 'auto', targets: ['revoked-image'], maxPerDay: 3 },
      frequency: { seconds: 5 },
      maxConcurrent: 1,
    });
    expect(() =>
      readSettings(
        new ConfigReader({
          immutableInfra: { remediation: { policy: 'auto:all' } },
        }),
      ),
    ).toThrow(
      'Invalid immutableInfra.remediation.policy "auto:all": "all" is no drift rule or root cause',
    );
    expect(() =>
      readSettings(
        new ConfigReader({
          immutableInfra: { remediation: { maxConcurrent: 0 } },
        }),
      ),
    ).toThrow('Invalid immutableInfra.remediation.maxConcurrent 0');
  });

  it('reads the drift settings', () => {
    const settings = readSettings(
      new ConfigReader({
        immutableInfra: {
          drift: {
            requireSystemsManager: true,
            sessionHistory: false,
            logs: { grace: { minutes: 30 }, window: 'PT12H' },
          },
        },
      }),
    );
    expect(settings.drift).toEqual({
      requireSystemsManager: true,
      sessionHistory: false,
      logGraceMs: 30 * MINUTE,
      logWindowMs: 12 * 60 * MINUTE,
    });
  });

  it('reads durations as objects or ISO 8601 strings', () => {
    const settings = readSettings(
      new ConfigReader({
        immutableInfra: {
          entityRefresh: 'PT2M',
          registration: { timeout: { seconds: 5 }, verifyArtifacts: false },
        },
      }),
    );
    expect(settings.entityRefresh).toEqual({ minutes: 2 });
    expect(settings.registration.timeoutMs).toBe(5_000);
    expect(settings.registration.verifyArtifacts).toBe(false);
  });
});

describe('schedulePeriodMs', () => {
  it('reads every schedule the scheduler accepts', () => {
    expect(
      schedulePeriodMs(
        scheduleOf({ frequency: { minutes: 5 }, timeout: 'PT3M' }),
      ),
    ).toBe(5 * MINUTE);
    expect(
      schedulePeriodMs(scheduleOf({ frequency: 'PT2H', timeout: 'PT3M' })),
    ).toBe(120 * MINUTE);
    expect(
      schedulePeriodMs(
        scheduleOf({ frequency: { cron: '*/10 * * * *' }, timeout: 'PT3M' }),
      ),
    ).toBe(10 * MINUTE);
    expect(
      schedulePeriodMs(
        scheduleOf({ frequency: { trigger: 'manual' }, timeout: 'PT3M' }),
      ),
    ).toBeUndefined();
  });

  it('takes the longest gap of an irregular cron schedule', () => {
    // Weekdays at 09:00: the gap over a weekend is three days.
    expect(
      schedulePeriodMs(
        scheduleOf({ frequency: { cron: '0 9 * * 1-5' }, timeout: 'PT3M' }),
      ),
    ).toBe(3 * 24 * 60 * MINUTE);
  });
});
