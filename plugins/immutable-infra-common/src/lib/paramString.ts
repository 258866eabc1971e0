import { z } from 'zod';
import { quoteValue, unstorableTextProblem } from './strings';

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
    return unstorableTextProblem(value) ?? (isValid(value) ? undefined : rule);
  };
  return z
    .string()
    .refine(value => problem(value) === undefined, {
      error: issue =>
        invalidValueMessage(what, issue.input, problem(String(issue.input))!),
    })
    .meta({ description: `The ${what}: ${rule}` });
}

/**
 * A UUID as `crypto.randomUUID()` writes it: 8-4-4-4-12 lower-case
 * hexadecimal digits.
 */
const UUID_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The id of something the API created, a UUID, in a path. */
export function uuidParam(what: string, createdBy: string) {
  return paramString({
    what,
    max: 36,
    rule: `expected the id ${createdBy} answered, a UUID of lower-case hexadecimal digits such as "0b6f3c9e-5d2a-4f1b-9c8e-7a6d5e4f3b2a"`,
    isValid: value => UUID_PATTERN.test(value),
  });
}
