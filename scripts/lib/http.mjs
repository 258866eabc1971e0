// How the scripts call a Backstage backend: a request's status, its body as
// text and, where the body is JSON, parsed.

/**
 * @param {string} url
 * @param {{ method?: string, token?: string, body?: unknown,
 *   headers?: Record<string, string>, timeoutMs?: number }} [options]
 */
export async function answer(url, options = {}) {
  const { method = 'GET', token, body, headers = {}, timeoutMs } = options;
  const response = await fetch(url, {
    method,
    headers: {
      ...headers,
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}
