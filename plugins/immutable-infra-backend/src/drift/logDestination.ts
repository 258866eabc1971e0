/**
 * The CloudWatch Logs group of a `log-destination` annotation
 * (`cloudwatch:<group>`), or undefined for another kind of destination,
 * which is declared only: nothing checks that logs arrive there.
 *
 * @internal
 */
export function cloudWatchLogGroup(
  destination: string | undefined,
): string | undefined {
  const match = destination?.match(/^cloudwatch:(.+)$/);
  return match ? match[1] : undefined;
}
