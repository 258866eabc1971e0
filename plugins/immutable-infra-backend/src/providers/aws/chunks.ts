/**
 * Splits a list into lists of at most `size`: the batches of calls that
 * take a bounded number of ids, names or filters.
 *
 * @internal
 */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}
