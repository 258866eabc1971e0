import { z } from 'zod';
import {
  cutShort,
  hasSpaceOrControl,
  quoteValue,
  unstorableTextProblem,
} from './lib/strings';

export { LONE_SURROGATE_MESSAGE, NUL_CHARACTER_MESSAGE } from './lib/strings';

/**
 * The longest value each request field may carry. A field stored in the
 * database is bounded by its column (see the backend's migrations), so a
 * long value answers 400 instead of failing the insert; the others have a
 * bound that no real value comes near. Lengths are counted in UTF-16 code
 * units, never fewer than the characters a column counts.
 *
 * @public
 */
export const REQUEST_LIMITS = {
  /** `image_families.name`, `image_versions.family`. */
  imageFamily: 128,
  /** `image_families.entity_ref`, `instances.entity_ref`, `audit_events.entity_ref`. */
  entityRef: 255,
  /** A kind, namespace or name in an entity ref (the catalog's own rule). */
  entityRefPart: 63,
  /** `image_versions.git_repo`. */
  gitRepo: 512,
  /** `image_versions.git_commit` (a SHA-256 object name is 64 hex digits). */
  gitCommit: 64,
  /** `image_versions.build_url`. */
  buildUrl: 1024,
  /** `image_versions.packer_run_uuid`. */
  packerRunUuid: 64,
  /** `image_versions.parent`. */
  parent: 255,
  /** `image_versions.revoke_reason`, `channel_assignments.reason`. */
  reason: 1024,
  /** `image_artifacts.region`, `instances.region`. */
  region: 32,
  /** `image_artifacts.image_id`, `instances.image_id`. */
  imageId: 64,
  /** `image_artifacts.account`, `instances.account`. */
  account: 32,
  /** `channels.name`, `channel_assignments.channel`. */
  channel: 64,
  /** `instances.environment`. */
  environment: 64,
  /** `instances.state`. */
  instanceState: 32,
  /** An ISO 8601 time such as `builtAt` (not stored as text). */
  isoTime: 64,
  /** Artifacts of one version, explicit or from one manifest run. */
  artifacts: 64,
  /** Builds in one Packer manifest (not stored). */
  manifestBuilds: 256,
  /** A build's `name` and `builder_type` in a Packer manifest (not stored). */
  packerName: 128,
  /** A build's `artifact_id`: up to 64 `<region>:<ami id>` (not stored). */
  artifactId: 8192,
  /** Files listed by one build in a Packer manifest (not stored). */
  packerFiles: 1000,
  /** A file name listed by a build in a Packer manifest (not stored). */
  packerFileName: 1024,
  /** Keys of a build's `custom_data` (hashed into the digest, not stored). */
  customDataKeys: 64,
  /** A `custom_data` key. */
  customDataKey: 128,
  /** A `custom_data` value. */
  customDataValue: 1024,
} as const;

/**
 * A string of at most `max` characters that can be stored as text: no NUL
 * character ({@link NUL_CHARACTER_MESSAGE}), no lone UTF-16 surrogate
 * ({@link LONE_SURROGATE_MESSAGE}), with a message for each. Every string of
 * a request is one. Checks chained after it (`.regex`, `.refine`) run only
 * when all hold, so a pattern never reads a long or malformed value.
 *
 * @public
 */
export function boundedString(max: number) {
  return z
    .string()
    .max(max, { message: `must be at most ${max} characters`, abort: true })
    .refine(value => unstorableTextProblem(value) === undefined, {
      error: issue => unstorableTextProblem(String(issue.input)),
      abort: true,
    });
}

/**
 * Why a text is refused: a control character (C0, DEL, C1), which no one
 * types and which a terminal, a log line or a notification acts on, or a
 * bidirectional formatting character, which shows the text in another
 * order than it is read. `lineBreaks` lets line breaks and tabs through.
 * Undefined when the text has none of them.
 */
function controlCharacterProblem(
  value: string,
  lineBreaks: boolean,
): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const control =
      (code < 0x20 &&
        !(lineBreaks && (code === 0x09 || code === 0x0a || code === 0x0d))) ||
      (code >= 0x7f && code <= 0x9f) ||
      ((code === 0x2028 || code === 0x2029) && !lineBreaks);
    const bidi =
      code === 0x061c ||
      code === 0x200e ||
      code === 0x200f ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069);
    if (control || bidi) {
      const escaped = `\\u${code.toString(16).padStart(4, '0')}`;
      return lineBreaks
        ? `must not contain ${escaped}: text without control characters but line breaks and tabs, and without bidirectional formatting characters (\\u202a to \\u202e, \\u2066 to \\u2069)`
        : `must not contain ${escaped}: one line of text without control characters or bidirectional formatting characters (\\u202a to \\u202e, \\u2066 to \\u2069)`;
    }
  }
  return undefined;
}

/**
 * A free text a person writes and others read (a reason, a description): a
 * {@link boundedString} whose only control characters are line breaks and
 * tabs, without bidirectional formatting characters.
 *
 * @public
 */
export function freeText(max: number) {
  return boundedString(max).refine(
    value => controlCharacterProblem(value, true) === undefined,
    { error: issue => controlCharacterProblem(String(issue.input), true) },
  );
}

/**
 * One line of text (a title): a {@link boundedString} without control
 * characters, line or paragraph separators, or bidirectional formatting
 * characters, with something to read: not only white space and invisible
 * formatting characters.
 *
 * @public
 */
export function lineOfText(max: number) {
  return boundedString(max)
    .refine(value => controlCharacterProblem(value, false) === undefined, {
      error: issue => controlCharacterProblem(String(issue.input), false),
      abort: true,
    })
    .refine(value => /[^\s\p{Cf}]/u.test(value), {
      message: 'must not be blank',
    });
}

/** @public */
export const HTTP_URL_RULE =
  'must be an http:// or https:// URL without spaces, control characters or a user name and password';

/**
 * Whether a value is an absolute http(s) URL with a host and without a
 * user name or password: what may be shown as a link. `javascript:`,
 * `data:`, `file:` and any other scheme are not.
 *
 * @public
 */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value) || hasSpaceOrControl(value)) {
    return false;
  }
  try {
    const url = new URL(value);
    // A user name or password in a link is a credential shown to every
    // reader, or a host disguised (https://trusted.example@elsewhere/).
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.hostname !== '' &&
      url.username === '' &&
      url.password === '' &&
      !/^https?:\/\/[^/?#]*@/i.test(value)
    );
  } catch {
    return false;
  }
}

/**
 * An absolute http(s) URL of at most `max` characters; see
 * {@link isHttpUrl}.
 *
 * @public
 */
export function httpUrl(max: number) {
  return boundedString(max).refine(isHttpUrl, { message: HTTP_URL_RULE });
}

/** How many problems {@link describeValidationIssues} names before summing up. */
const MAX_DESCRIBED_ISSUES = 10;

/** The longest description of one problem, its field's path included. */
const MAX_ISSUE_LENGTH = 500;

/** The longest sentence {@link describeValidationIssues} answers. */
const MAX_DESCRIPTION_LENGTH = 4000;

/** How many unknown keys a description names before counting the rest. */
const MAX_NAMED_KEYS = 5;

/** The longest key of a field's path that a description names in full. */
const MAX_PATH_KEY_LENGTH = 100;

/**
 * A problem zod found, as {@link describeValidationIssues} reads it: zod's
 * own issues are ones.
 *
 * @public
 */
export type ValidationIssue = {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
  readonly code?: string;
  /** `unrecognized_keys`: the keys given that the object does not have. */
  readonly keys?: ReadonlyArray<string>;
  /** `invalid_union`: the problems of each branch. */
  readonly errors?: ReadonlyArray<ReadonlyArray<ValidationIssue>>;
  /** `invalid_type`: the type expected. */
  readonly expected?: string;
  /** `too_big`, `too_small`: what was measured (`number`, `array`, ...). */
  readonly origin?: string;
  /** `too_big`: the bound. */
  readonly maximum?: unknown;
  /** `too_small`: the bound. */
  readonly minimum?: unknown;
  /** `too_big`, `too_small`: whether the bound itself is allowed. */
  readonly inclusive?: boolean;
  /** `invalid_value`: the values allowed. */
  readonly values?: ReadonlyArray<unknown>;
};

/** What each type zod names is, in words. */
const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

/**
 * What zod's own messages ("Invalid input: expected number, received NaN",
 * "Too big: expected number to be <=500") say, as what the field expects;
 * a schema's own message is kept.
 */
function expectation(issue: ValidationIssue): string | undefined {
  const { message } = issue;
  if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) {
    if (/received undefined$/.test(message)) {
      return 'is required';
    }
    const expected = TYPE_WORDS[issue.expected ?? ''];
    return expected ? `must be ${expected}` : undefined;
  }
  if (
    (issue.code === 'too_big' && message.startsWith('Too big')) ||
    (issue.code === 'too_small' && message.startsWith('Too small'))
  ) {
    const big = issue.code === 'too_big';
    const bound = String(big ? issue.maximum : issue.minimum);
    const words =
      issue.inclusive === false
        ? `${big ? 'less' : 'more'} than ${bound}`
        : `${big ? 'at most' : 'at least'} ${bound}`;
    if (issue.origin === 'array' || issue.origin === 'set') {
      return `must have ${words} items`;
    }
    if (issue.origin === 'string') {
      return `must be ${words} characters`;
    }
    return `must be ${words}`;
  }
  if (
    issue.code === 'invalid_value' &&
    /^Invalid (option|input)/.test(message) &&
    issue.values
  ) {
    const values = issue.values.map(v => JSON.stringify(v));
    return values.length === 1
      ? `must be ${values[0]}`
      : `must be one of ${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
  }
  return undefined;
}

/** Whether the value is not of the branch's shape: its type, or its keys. */
function shapeMismatch(branch: ReadonlyArray<ValidationIssue>): boolean {
  return branch.some(
    issue =>
      issue.path.length === 0 &&
      (issue.code === 'invalid_type' || issue.code === 'unrecognized_keys'),
  );
}

/**
 * The problems to describe for one issue, with their full paths. A union
 * the value matched none of is described by the one branch whose shape it
 * has, when there is exactly one (`owner` given as a string too long, not as
 * the list it might also be); else by the union's own message, which says
 * what is expected.
 */
function flatten(issue: ValidationIssue): ValidationIssue[] {
  if (issue.code === 'invalid_union' && issue.errors) {
    const shaped = issue.errors.filter(branch => !shapeMismatch(branch));
    if (shaped.length === 1 && shaped[0].length > 0) {
      return shaped[0].flatMap(inner =>
        flatten({ ...inner, path: [...issue.path, ...inner.path] }),
      );
    }
  }
  return [issue];
}

/** What is wrong, without the field: unknown keys named a few at a time. */
function problemOf(issue: ValidationIssue): string {
  if (issue.code !== 'unrecognized_keys' || !issue.keys) {
    return expectation(issue) ?? issue.message;
  }
  const { keys } = issue;
  const named = keys.slice(0, MAX_NAMED_KEYS).map(quoteValue).join(', ');
  const rest = keys.length - MAX_NAMED_KEYS;
  return keys.length === 1
    ? `has an unknown key ${named}`
    : `has unknown keys ${named}${rest > 0 ? ` and ${rest} more` : ''}`;
}

/**
 * One sentence naming each problem zod found, each prefixed with the path of
 * its field (`manifest.builds.0.build_time must be ...`), or with `what` for
 * the value as a whole. A union is described by the branch the value has the
 * shape of, or by its message; unknown keys are named a few at a time. At
 * most ten problems are named, each cut to 500 characters, the sentence to
 * 4,000; the rest are counted.
 *
 * @public
 */
export function describeValidationIssues(
  issues: ReadonlyArray<ValidationIssue>,
  what: string,
): string {
  const all = issues.flatMap(flatten);
  const described: string[] = [];
  let length = 0;
  for (const issue of all) {
    const field = issue.path
      .map(key => cutShort(String(key), MAX_PATH_KEY_LENGTH))
      .join('.');
    const text = cutShort(
      `${field || what} ${problemOf(issue)}`,
      MAX_ISSUE_LENGTH,
    );
    if (
      described.length === MAX_DESCRIBED_ISSUES ||
      length + text.length > MAX_DESCRIPTION_LENGTH
    ) {
      break;
    }
    described.push(text);
    length += text.length + 2;
  }
  const rest = all.length - described.length;
  if (rest > 0) {
    described.push(`and ${rest} more problem${rest === 1 ? '' : 's'}`);
  }
  return described.join('; ');
}
