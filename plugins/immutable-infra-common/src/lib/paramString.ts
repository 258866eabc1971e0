import { z } from 'zod';
import { NUL_CHARACTER_MESSAGE } from '../validation';
import { quoteValue } from './strings';

/** `Invalid <what> "<value>": <rule>`, the value JSON-escaped and cut short. */
export function invalidValueMessage(
  what: string,
  value: unknown,
  rule: string,
): string {
  return `Invalid ${what} ${quoteValue(value)}: ${rule}`;
}

/**
 * A string whose every message is a whole sentence naming what it is and
 * the value given (`Invalid image id "x": expected ...`), for values that
 * stand alone, such as path parameters, rather than fields of a body.
 */
export function paramString(options: {
  what: string;
  max: number;
  /** What the value must be, e.g. `must be lower-case letters...`. */
  rule: string;
  isValid: (value: string) => boolean;
}) {
  const { what, max, rule, isValid } = options;
  const problem = (value: string) => {
    if (value.length > max) {
      return `must be at most ${max} characters`;
    }
    if (value.includes('\u0000')) {
      return NUL_CHARACTER_MESSAGE;
    }
    return isValid(value) ? undefined : rule;
  };
  return z.string().refine(value => problem(value) === undefined, {
    error: issue =>
      invalidValueMessage(what, issue.input, problem(String(issue.input))!),
  });
}
