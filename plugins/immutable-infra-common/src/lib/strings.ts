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

/**
 * A value as quoted in an error message: JSON-escaped, so that control
 * characters show, and cut to a readable length.
 */
export function quoteValue(value: unknown): string {
  const text = String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
