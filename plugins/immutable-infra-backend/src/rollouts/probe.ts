import { RolloutInstance } from '../providers/RolloutProvider';

/** How long one probe may take. @internal */
export const PROBE_TIMEOUT_MS = 5_000;
/** Probes of one fleet at once. */
const PROBES_AT_ONCE = 10;
/** The instance's own address, with a port or not. */
const INSTANCE_HOST = /^\{(privateIp|publicIp|privateDns)\}(:\d{1,5})?$/;

/** What a probe saw: healthy, or why not. @internal */
export type ProbeVerdict = { healthy: true } | { healthy: false; why: string };

/** Asks one URL; answers its verdict, never throws. @internal */
export type ProbeFetch = (url: string) => Promise<ProbeVerdict>;

/**
 * A GET that must answer 2xx within the timeout. Redirects are not
 * followed (a probe reaches only the URL the entity names) and the body is
 * not read beyond its status.
 *
 * @internal
 */
export const fetchProbe: ProbeFetch = async url => {
  try {
    const answer = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await answer.body?.cancel();
    return answer.status >= 200 && answer.status < 300
      ? { healthy: true }
      : { healthy: false, why: `answered ${answer.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      healthy: false,
      why:
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
          : `could not connect${cause ? ` (${cause})` : ''}`,
    };
  }
};

/**
 * Why the backend may not probe the template's host, or undefined when it
 * may: the instance's own address (a placeholder), or a host listed in
 * `immutableInfra.rollouts.probe.allowedHosts`. The template comes from the
 * catalog; anything else would let an entity make the backend call out
 * anywhere.
 *
 * @internal
 */
export function probeHostRefusal(
  template: string,
  allowedHosts: string[],
): string | undefined {
  const authority = template.replace(/^https?:\/\//, '').split(/[/?#]/)[0];
  if (INSTANCE_HOST.test(authority)) {
    return undefined;
  }
  if (allowedHosts.includes(authority)) {
    return undefined;
  }
  return `the rollout probe's host ${authority} is not the instance's address ({privateIp}, {publicIp}, {privateDns}) nor in immutableInfra.rollouts.probe.allowedHosts`;
}

/** The probe's URL for one instance, or why it has none yet. */
function probeUrl(
  template: string,
  instance: RolloutInstance,
): { url: string } | { missing: string } {
  const values: Record<string, string | undefined> = {
    privateIp: instance.privateIp,
    publicIp: instance.publicIp,
    privateDns: instance.privateDns,
    instanceId: instance.instanceId,
  };
  const missing = Object.keys(values).find(
    key => template.includes(`{${key}}`) && !values[key],
  );
  if (missing) {
    return { missing: `no ${missing} yet` };
  }
  return {
    url: template.replace(/\{(\w+)\}/g, (_, key) =>
      encodeURIComponent(values[key] ?? ''),
    ),
  };
}

/**
 * Probes each instance; answers why each one that did not pass failed
 * ("HTTP probe http://10.0.1.7:8080/healthz: answered 503").
 *
 * @internal
 */
export async function probeInstances(options: {
  template: string;
  instances: RolloutInstance[];
  allowedHosts: string[];
  fetch: ProbeFetch;
}): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  const refusal = probeHostRefusal(options.template, options.allowedHosts);
  if (refusal) {
    for (const instance of options.instances) {
      failed.set(instance.instanceId, `HTTP probe refused: ${refusal}`);
    }
    return failed;
  }
  const queue = [...options.instances];
  const worker = async () => {
    for (let instance = queue.shift(); instance; instance = queue.shift()) {
      const target = probeUrl(options.template, instance);
      if ('missing' in target) {
        failed.set(instance.instanceId, `HTTP probe: ${target.missing}`);
        continue;
      }
      const verdict = await options.fetch(target.url);
      if (!verdict.healthy) {
        failed.set(
          instance.instanceId,
          `HTTP probe ${target.url}: ${verdict.why}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: PROBES_AT_ONCE }, worker));
  return failed;
}
