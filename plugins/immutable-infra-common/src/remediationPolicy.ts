import { DRIFT_RULES } from './fleetSchemas';
import {
  DEFAULT_REMEDIATION_MAX_PER_DAY,
  REMEDIATION_MODES,
  RemediationMode,
  RemediationPolicy,
  RemediationWindow,
} from './remediationSchemas';

/** Day names of a window, Sunday first as `Date.getDay()` numbers them. */
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const TARGET = /^[a-z0-9][a-z0-9-]*(:[^\s,;]{1,250})?$/;
const TIME = /^(\d{2}):(\d{2})$/;

/** Whether the runtime knows an IANA time zone. */
function knownTimeZone(timeZone: string): boolean {
  try {
    return Boolean(new Intl.DateTimeFormat('en-US', { timeZone }));
  } catch {
    return false;
  }
}

function minutesOf(time: string): number {
  const [, h, m] = TIME.exec(time)!;
  return Number(h) * 60 + Number(m);
}

/** `mon-fri`, `sat,sun`, `mon,wed-fri`, `daily`: the days, 0 = Sunday. */
function parseDays(value: string): number[] {
  if (value === 'daily' || value === '*') {
    return [0, 1, 2, 3, 4, 5, 6];
  }
  const days = new Set<number>();
  for (const part of value.split(',')) {
    const [from, to, ...rest] = part.split('-');
    const a = DAY_NAMES.indexOf(from as (typeof DAY_NAMES)[number]);
    const b =
      to === undefined
        ? a
        : DAY_NAMES.indexOf(to as (typeof DAY_NAMES)[number]);
    if (a < 0 || b < 0 || rest.length > 0) {
      throw new Error(
        `the window's days "${value}" must be day names (mon, tue, wed, thu, fri, sat, sun), ranges such as "mon-fri" separated by commas, or "daily"`,
      );
    }
    // A range may wrap the week: fri-mon is Friday to Monday.
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return [...days].sort((x, y) => x - y);
}

function parseWindow(value: string): RemediationWindow {
  const parts = value.trim().split(/\s+/);
  if (parts.length !== 3) {
    throw new Error(
      `window "${value}" must be "<days> <HH:MM-HH:MM> <time zone>", for example "window=mon-fri 09:00-17:00 Europe/Paris"`,
    );
  }
  const [daysText, hours, timeZone] = parts;
  const days = parseDays(daysText.toLowerCase());
  const range = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(hours);
  const valid = (t: string, end: boolean) =>
    (TIME.test(t) && Number(t.slice(0, 2)) < 24 && Number(t.slice(3)) < 60) ||
    (end && t === '24:00');
  if (!range || !valid(range[1], false) || !valid(range[2], true)) {
    throw new Error(
      `the window's hours "${hours}" must be "HH:MM-HH:MM" on a 24-hour clock, for example "09:00-17:00" (an end before the start runs past midnight)`,
    );
  }
  if (
    minutesOf(range[1]) === (range[2] === '24:00' ? 1440 : minutesOf(range[2]))
  ) {
    throw new Error(
      `the window's hours "${hours}" start and end at the same time: use "00:00-24:00" for the whole day`,
    );
  }
  if (timeZone.length > 100 || !knownTimeZone(timeZone)) {
    throw new Error(
      `the window's time zone "${timeZone}" is unknown: use an IANA name such as "Europe/Paris", "America/New_York" or "UTC"`,
    );
  }
  return { days, start: range[1], end: range[2], timeZone };
}

function parseTargets(value: string, mode: string): string[] {
  const targets = value
    .split(',')
    .map(t => t.trim())
    .filter(Boolean);
  if (targets.length === 0) {
    throw new Error(
      `"${mode}:" must name drift rules or root causes, for example "${mode}:revoked-image,ssh-open"`,
    );
  }
  for (const target of targets) {
    const rule = target.split(':')[0];
    if (
      !TARGET.test(target) ||
      !(DRIFT_RULES as readonly string[]).includes(rule)
    ) {
      throw new Error(
        `"${target}" is no drift rule or root cause: name a rule (${DRIFT_RULES.join(
          ', ',
        )}) or a root cause of the Drift tab, such as "ssh-open:world"`,
      );
    }
  }
  return [...new Set(targets)];
}

/**
 * Reads a remediation policy: `off`, `observe` (optionally
 * `observe:<rule or root cause>[,…]`) or `auto:<rule or root cause>[,…]`,
 * then optionally `; window=<days> <HH:MM-HH:MM> <tz>` and
 * `; max-per-day=N`. Throws an `Error` whose message says what is expected.
 *
 * @public
 */
export function parseRemediationPolicy(value: string): RemediationPolicy {
  if (value.length > 1000) {
    throw new Error('must be at most 1000 characters');
  }
  const [head, ...options] = value.split(';').map(p => p.trim());
  const colon = head.indexOf(':');
  const mode = (colon < 0 ? head : head.slice(0, colon)).trim();
  if (!(REMEDIATION_MODES as readonly string[]).includes(mode)) {
    throw new Error(
      `must start with "off", "observe" or "auto:<rule or root cause>[,…]", not "${head}"`,
    );
  }
  const policy: RemediationPolicy = {
    mode: mode as RemediationMode,
    targets: [],
    maxPerDay: DEFAULT_REMEDIATION_MAX_PER_DAY,
  };
  if (mode === 'off') {
    if (colon >= 0 || options.some(Boolean)) {
      throw new Error('"off" takes no rules, window or limit');
    }
    return policy;
  }
  if (colon >= 0 || mode === 'auto') {
    policy.targets = parseTargets(colon < 0 ? '' : head.slice(colon + 1), mode);
  }
  const seen = new Set<string>();
  for (const option of options) {
    if (!option) continue;
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq).trim();
    const text = eq < 0 ? '' : option.slice(eq + 1).trim();
    if (seen.has(key)) {
      throw new Error(`gives "${key}" more than once`);
    }
    seen.add(key);
    if (key === 'window') {
      policy.window = parseWindow(text);
    } else if (key === 'max-per-day') {
      const n = /^\d{1,4}$/.test(text) ? Number(text) : 0;
      if (n < 1) {
        throw new Error(
          `max-per-day "${text}" must be a whole number of rollouts from 1 to 9999`,
        );
      }
      policy.maxPerDay = n;
    } else {
      throw new Error(
        `knows the options "window=<days> <HH:MM-HH:MM> <tz>" and "max-per-day=N", not "${option}"`,
      );
    }
  }
  return policy;
}

const WEEKDAY: Record<string, number> = {
  Sun: 0,
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6,
};

/** The day of the week and minutes since midnight of an instant in a time zone. */
function localTime(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find(p => p.type === type)!.value;
  return {
    day: WEEKDAY[part('weekday')],
    minutes: (Number(part('hour')) % 24) * 60 + Number(part('minute')),
  };
}

/**
 * Whether an instant is inside a window, read on the wall clock of the
 * window's time zone: on the day a clock springs forward, the skipped hour
 * never comes; on the day it falls back, the repeated hour is inside twice.
 * A window that runs past midnight belongs to the day it starts on.
 *
 * @public
 */
export function isInRemediationWindow(
  window: RemediationWindow,
  at: Date,
): boolean {
  const { day, minutes } = localTime(at, window.timeZone);
  const start = minutesOf(window.start);
  const end = window.end === '24:00' ? 24 * 60 : minutesOf(window.end);
  if (start < end) {
    return window.days.includes(day) && minutes >= start && minutes < end;
  }
  const yesterday = (day + 6) % 7;
  return (
    (window.days.includes(day) && minutes >= start) ||
    (window.days.includes(yesterday) && minutes < end)
  );
}

function dayList(days: number[]): string {
  if (days.length === 7) return 'every day';
  const names = days.map(d => DAY_NAMES[d]);
  const weekdays = [1, 2, 3, 4, 5];
  if (days.length === 5 && weekdays.every(d => days.includes(d))) {
    return 'mon-fri';
  }
  return names.join(',');
}

/**
 * A policy in a few words, as the Drift tab shows it: "automatic
 * (ssh-open), mon-fri 09:00-17:00 Europe/Paris, at most 5 a day".
 *
 * @public
 */
export function describeRemediationPolicy(policy: RemediationPolicy): string {
  if (policy.mode === 'off') {
    return 'manual';
  }
  const what = policy.targets.length ? ` (${policy.targets.join(', ')})` : '';
  const words = [
    `${policy.mode === 'auto' ? 'automatic' : 'observe only'}${what}`,
  ];
  if (policy.window) {
    const w = policy.window;
    words.push(`${dayList(w.days)} ${w.start}-${w.end} ${w.timeZone}`);
  }
  if (policy.mode === 'auto') {
    words.push(`at most ${policy.maxPerDay} a day`);
  }
  return words.join(', ');
}
