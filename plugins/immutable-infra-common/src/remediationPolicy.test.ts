import { Entity } from '@backstage/catalog-model';
import { parseImmutableInfraAnnotations } from './parseAnnotations';
import {
  describeRemediationPolicy,
  isInRemediationWindow,
  parseRemediationPolicy,
} from './remediationPolicy';

function entity(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api', annotations },
    spec: {},
  };
}

describe('parseRemediationPolicy', () => {
  it('reads off, observe and auto with their rules', () => {
    expect(parseRemediationPolicy('off')).toEqual({
      mode: 'off',
      targets: [],
      maxPerDay: 5,
    });
    expect(parseRemediationPolicy('observe')).toEqual({
      mode: 'observe',
      targets: [],
      maxPerDay: 5,
    });
    expect(
      parseRemediationPolicy('auto: revoked-image, ssh-open:world ,ssh-open'),
    ).toEqual({
      mode: 'auto',
      targets: ['revoked-image', 'ssh-open:world', 'ssh-open'],
      maxPerDay: 5,
    });
  });

  it('reads a window and a daily limit', () => {
    expect(
      parseRemediationPolicy(
        'auto:ssh-open; window=mon-fri 09:00-17:30 Europe/Paris; max-per-day=2',
      ),
    ).toEqual({
      mode: 'auto',
      targets: ['ssh-open'],
      window: {
        days: [1, 2, 3, 4, 5],
        start: '09:00',
        end: '17:30',
        timeZone: 'Europe/Paris',
      },
      maxPerDay: 2,
    });
    expect(
      parseRemediationPolicy('auto:ssh-key;window=fri-mon 22:00-06:00 UTC')
        .window,
    ).toEqual({
      days: [0, 1, 5, 6],
      start: '22:00',
      end: '06:00',
      timeZone: 'UTC',
    });
    expect(
      parseRemediationPolicy('observe;window=daily 00:00-24:00 UTC').window
        ?.days,
    ).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it.each([
    [
      '',
      'must start with "off", "observe" or "auto:<rule or root cause>[,…]", not ""',
    ],
    [
      'always',
      'must start with "off", "observe" or "auto:<rule or root cause>[,…]", not "always"',
    ],
    [
      'auto',
      '"auto:" must name drift rules or root causes, for example "auto:revoked-image,ssh-open"',
    ],
    [
      'auto:',
      '"auto:" must name drift rules or root causes, for example "auto:revoked-image,ssh-open"',
    ],
    ['auto:ssh-opened', '"ssh-opened" is no drift rule or root cause'],
    ['auto:ssh open', '"ssh open" is no drift rule or root cause'],
    ['off; max-per-day=2', '"off" takes no rules, window or limit'],
    [
      'auto:ssh-open; max-per-day=0',
      'max-per-day "0" must be a whole number of rollouts from 1 to 9999',
    ],
    [
      'auto:ssh-open; max-per-day=two',
      'max-per-day "two" must be a whole number',
    ],
    [
      'auto:ssh-open; max-per-day=1; max-per-day=2',
      'gives "max-per-day" more than once',
    ],
    [
      'auto:ssh-open; speed=fast',
      'knows the options "window=<days> <HH:MM-HH:MM> <tz>" and "max-per-day=N", not "speed=fast"',
    ],
    [
      'auto:ssh-open; window=mon-fri 09:00-17:00',
      'window "mon-fri 09:00-17:00" must be "<days> <HH:MM-HH:MM> <time zone>"',
    ],
    [
      'auto:ssh-open; window=weekdays 09:00-17:00 UTC',
      'the window\'s days "weekdays" must be day names',
    ],
    [
      'auto:ssh-open; window=mon-fri 9:00-17:00 UTC',
      'the window\'s hours "9:00-17:00" must be "HH:MM-HH:MM" on a 24-hour clock',
    ],
    [
      'auto:ssh-open; window=mon-fri 09:00-24:30 UTC',
      'the window\'s hours "09:00-24:30" must be "HH:MM-HH:MM"',
    ],
    [
      'auto:ssh-open; window=mon-fri 09:00-09:00 UTC',
      'start and end at the same time: use "00:00-24:00" for the whole day',
    ],
    [
      'auto:ssh-open; window=mon-fri 09:00-17:00 Mars/Olympus',
      'the window\'s time zone "Mars/Olympus" is unknown: use an IANA name such as "Europe/Paris"',
    ],
  ])('refuses %j, saying why', (value, message) => {
    expect(() => parseRemediationPolicy(value)).toThrow(message);
  });

  it('is read from the annotation, and a malformed one is reported', () => {
    expect(
      parseImmutableInfraAnnotations(
        entity({ 'immutable-infra.io/remediation': 'auto:revoked-image' }),
      ).annotations.remediation,
    ).toEqual({ mode: 'auto', targets: ['revoked-image'], maxPerDay: 5 });
    expect(
      parseImmutableInfraAnnotations(entity({})).annotations.remediation,
    ).toBeUndefined();
    const { annotations, errors } = parseImmutableInfraAnnotations(
      entity({ 'immutable-infra.io/remediation': 'auto:everything' }),
    );
    expect(annotations.remediation).toBeUndefined();
    expect(errors).toEqual([
      {
        annotation: 'immutable-infra.io/remediation',
        value: 'auto:everything',
        message: expect.stringContaining('"everything" is no drift rule'),
      },
    ]);
  });

  it('describes a policy in a few words', () => {
    expect(describeRemediationPolicy(parseRemediationPolicy('off'))).toBe(
      'manual',
    );
    expect(
      describeRemediationPolicy(
        parseRemediationPolicy(
          'auto:ssh-open,revoked-image; window=mon-fri 09:00-17:00 Europe/Paris; max-per-day=3',
        ),
      ),
    ).toBe(
      'automatic (ssh-open, revoked-image), mon-fri 09:00-17:00 Europe/Paris, at most 3 a day',
    );
    expect(describeRemediationPolicy(parseRemediationPolicy('observe'))).toBe(
      'observe only',
    );
  });
});

describe('isInRemediationWindow', () => {
  const window = (value: string) =>
    parseRemediationPolicy(`observe; window=${value}`).window!;

  it("reads the wall clock of the window's time zone, end excluded", () => {
    // Wednesday 2026-06-10: Paris is UTC+2 (summer time).
    const paris = window('mon-fri 09:00-17:00 Europe/Paris');
    expect(isInRemediationWindow(paris, new Date('2026-06-10T06:59:00Z'))).toBe(
      false,
    );
    expect(isInRemediationWindow(paris, new Date('2026-06-10T07:00:00Z'))).toBe(
      true,
    );
    expect(isInRemediationWindow(paris, new Date('2026-06-10T14:59:00Z'))).toBe(
      true,
    );
    expect(isInRemediationWindow(paris, new Date('2026-06-10T15:00:00Z'))).toBe(
      false,
    );
    // The same instants in winter (UTC+1) are an hour earlier on the wall.
    expect(isInRemediationWindow(paris, new Date('2026-01-14T08:30:00Z'))).toBe(
      true,
    );
    // 07:30 UTC is 09:30 on a summer day, but 08:30 in winter.
    expect(isInRemediationWindow(paris, new Date('2026-01-14T07:30:00Z'))).toBe(
      false,
    );
    expect(isInRemediationWindow(paris, new Date('2026-01-14T16:00:00Z'))).toBe(
      false,
    );
    // Saturday in Paris.
    expect(isInRemediationWindow(paris, new Date('2026-06-13T10:00:00Z'))).toBe(
      false,
    );
  });

  it("takes the day in the window's time zone, not UTC's", () => {
    // Friday 2026-06-12 23:30 UTC is already Saturday 08:30 in Tokyo.
    const tokyo = window('mon-fri 08:00-18:00 Asia/Tokyo');
    expect(isInRemediationWindow(tokyo, new Date('2026-06-12T23:30:00Z'))).toBe(
      false,
    );
    // Sunday 23:30 UTC is Monday 08:30 in Tokyo.
    expect(isInRemediationWindow(tokyo, new Date('2026-06-14T23:30:00Z'))).toBe(
      true,
    );
  });

  it('runs past midnight into the next day, belonging to the day it starts', () => {
    const nights = window('fri 22:00-06:00 UTC');
    expect(
      isInRemediationWindow(nights, new Date('2026-06-12T21:59:00Z')),
    ).toBe(false);
    expect(
      isInRemediationWindow(nights, new Date('2026-06-12T22:00:00Z')),
    ).toBe(true);
    // Saturday early morning: still Friday night's window.
    expect(
      isInRemediationWindow(nights, new Date('2026-06-13T05:59:00Z')),
    ).toBe(true);
    expect(
      isInRemediationWindow(nights, new Date('2026-06-13T06:00:00Z')),
    ).toBe(false);
    // Saturday night is no window: only Friday starts one.
    expect(
      isInRemediationWindow(nights, new Date('2026-06-13T23:00:00Z')),
    ).toBe(false);
    // Friday early morning belongs to Thursday night, which is none.
    expect(
      isInRemediationWindow(nights, new Date('2026-06-12T03:00:00Z')),
    ).toBe(false);
  });

  it('never opens a window inside the hour a clock skips, and opens twice in the hour it repeats', () => {
    const paris = window('daily 02:00-03:00 Europe/Paris');
    // 2026-03-29: Paris jumps from 02:00 CET to 03:00 CEST (00:59 UTC is 01:59,
    // 01:00 UTC is 03:00).
    expect(isInRemediationWindow(paris, new Date('2026-03-29T00:59:00Z'))).toBe(
      false,
    );
    expect(isInRemediationWindow(paris, new Date('2026-03-29T01:00:00Z'))).toBe(
      false,
    );
    expect(isInRemediationWindow(paris, new Date('2026-03-29T01:30:00Z'))).toBe(
      false,
    );
    // The day before, 02:30 CET is 01:30 UTC.
    expect(isInRemediationWindow(paris, new Date('2026-03-28T01:30:00Z'))).toBe(
      true,
    );
    // 2026-10-25: 02:00-03:00 happens twice, at 00:00 UTC (CEST) and 01:00 UTC (CET).
    expect(isInRemediationWindow(paris, new Date('2026-10-24T23:59:00Z'))).toBe(
      false,
    );
    expect(isInRemediationWindow(paris, new Date('2026-10-25T00:30:00Z'))).toBe(
      true,
    );
    expect(isInRemediationWindow(paris, new Date('2026-10-25T01:30:00Z'))).toBe(
      true,
    );
    expect(isInRemediationWindow(paris, new Date('2026-10-25T02:00:00Z'))).toBe(
      false,
    );
  });

  it('covers the whole day with 00:00-24:00', () => {
    const all = window('sun 00:00-24:00 America/New_York');
    // Sunday 2026-06-14 00:00 and 23:59 in New York (UTC-4).
    expect(isInRemediationWindow(all, new Date('2026-06-14T04:00:00Z'))).toBe(
      true,
    );
    expect(isInRemediationWindow(all, new Date('2026-06-15T03:59:00Z'))).toBe(
      true,
    );
    expect(isInRemediationWindow(all, new Date('2026-06-15T04:00:00Z'))).toBe(
      false,
    );
  });
});
