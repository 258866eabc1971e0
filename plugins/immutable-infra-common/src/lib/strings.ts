/** Whether a value has white space or a control character in it. */
export function hasSpaceOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || (code >= 0x7f && code <= 0x9f)) {
      return true;
    }
  }
  return /\s/.test(value);
}

/** The most characters of a value that an error message quotes. */
const QUOTED_LENGTH = 80;

/** A value cut to `max` characters, `...` marking the cut. */
export function cutShort(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * A value as quoted in an error message: JSON-escaped, so that control
 * characters show, and cut to a readable length.
 */
export function quoteValue(value: unknown): string {
  return JSON.stringify(cutShort(String(value), QUOTED_LENGTH));
}

/**
 * Why a string with a NUL character is refused: PostgreSQL cannot store one,
 * and no identifier or text of this API needs one.
 *
 * @public
 */
export const NUL_CHARACTER_MESSAGE =
  'must not contain NUL characters (\\u0000)';

/**
 * Why a string with a lone UTF-16 surrogate is refused: it is no character,
 * and would be stored as a replacement character (U+FFFD) in its place.
 *
 * @public
 */
export const LONE_SURROGATE_MESSAGE =
  'must be well-formed Unicode: a lone UTF-16 surrogate (\\ud800 to \\udfff) is not a character';

// In a `u` pattern a surrogate pair reads as one code point, so only a lone
// surrogate matches.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * Why a string cannot be stored as text (a NUL character, a lone
 * surrogate), or undefined when it can.
 */
export function unstorableTextProblem(value: string): string | undefined {
  if (value.includes('\u0000')) {
    return NUL_CHARACTER_MESSAGE;
  }
  return LONE_SURROGATE.test(value) ? LONE_SURROGATE_MESSAGE : undefined;
}
