/**
 * Plain code-unit order, missing values last: ids and names sort the same on
 * every machine, without the cost of locale collation.
 *
 * @internal
 */
export function byCodeUnits(
  a: string | null | undefined,
  b: string | null | undefined,
): number {
  if (a === b) {
    return 0;
  }
  if (a === null || a === undefined) {
    return 1;
  }
  if (b === null || b === undefined) {
    return -1;
  }
  return a < b ? -1 : 1;
}
