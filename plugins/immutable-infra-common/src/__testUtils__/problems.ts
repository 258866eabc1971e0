import { z } from 'zod';
import { describeValidationIssues } from '../validation';

/**
 * What a request with this value is refused for, as the backend words it
 * (each problem prefixed with its field's path), or undefined when the value
 * is accepted.
 */
export function problems(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  return result.success
    ? undefined
    : describeValidationIssues(result.error.issues, 'value');
}
