import { ResponseError } from '@backstage/errors';

/**
 * Runs a call to the Immutable Infra backend, turning an error answer into
 * an error whose message is the backend's own explanation, so that the
 * template's log says what went wrong rather than only the status.
 */
export async function callBackend<T>(
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (ResponseError.is(error)) {
      throw new Error(
        `${what} failed: ${error.cause.message} (HTTP ${error.statusCode})`,
      );
    }
    throw error;
  }
}
