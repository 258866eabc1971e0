import { randomBytes } from 'node:crypto';

/*
 * What a browser test makes for itself in the running demo, through the
 * plugin's API as the guest user and through the demo's EC2 emulator, so
 * that it consumes nothing another test or the seed left.
 * scripts/test passes PLAYWRIGHT_BACKEND_URL and MOTO_URL; scripts/start's
 * demo listens on the defaults.
 */

const backend = (
  process.env.PLAYWRIGHT_BACKEND_URL ?? 'http://localhost:7007'
).replace(/\/$/, '');
const emulator = process.env.MOTO_URL ?? 'http://127.0.0.1:5000';

let token: Promise<string> | undefined;

async function guestToken(): Promise<string> {
  token ??= (async () => {
    const answer = await fetch(
      `${backend}/api/auth/guest/refresh?env=development`,
      { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
    );
    if (!answer.ok) {
      throw new Error(`guest sign-in answered ${answer.status}`);
    }
    return (await answer.json()).backstageIdentity.token;
  })();
  return token;
}

/** Calls the plugin's API as the guest; answers the JSON. */
export async function api(
  method: string,
  path: string,
  body?: unknown,
): Promise<any> {
  const answer = await fetch(`${backend}/api/immutable-infra${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${await guestToken()}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await answer.text();
  if (!answer.ok) {
    throw new Error(`${method} ${path} answered ${answer.status}: ${text}`);
  }
  return text ? JSON.parse(text) : undefined;
}

/** Registers an AMI in the demo's emulator; answers its id. */
async function bakeImage(name: string): Promise<string> {
  const answer = await fetch(emulator, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // The emulator reads the service and region from the scope only.
      authorization:
        'AWS4-HMAC-SHA256 Credential=immutable-infra-emulator/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({
      Action: 'RegisterImage',
      Version: '2016-11-15',
      Name: name,
      RootDeviceName: '/dev/xvda',
      Architecture: 'x86_64',
      VirtualizationType: 'hvm',
    }),
  });
  const xml = await answer.text();
  const imageId = /<imageId>([^<]+)<\/imageId>/.exec(xml)?.[1];
  if (!answer.ok || !imageId) {
    throw new Error(`RegisterImage answered ${answer.status}: ${xml}`);
  }
  return imageId;
}

/**
 * A new version of `family`, built now from a new AMI on `parent`, as the
 * demo's pipeline registers one; answers its id (`<family>@<n>`).
 */
export async function registerNewVersion(options: {
  family: string;
  parent: string;
}): Promise<{ id: string; version: number }> {
  const build = randomBytes(4).toString('hex');
  const imageId = await bakeImage(`${options.family}-${build}`);
  const { version } = await api('POST', '/images', {
    family: options.family,
    artifacts: [{ region: 'us-east-1', imageId }],
    parent: options.parent,
    gitCommit: randomBytes(20).toString('hex'),
    buildUrl: `https://ci.example.com/${options.family}/builds/${build}`,
  });
  return { id: version.id, version: version.version };
}

/**
 * Aborts the rollouts of the entity's environment that have not ended (the
 * seed's paused canary, or one an earlier run left), so that a test can
 * start its own.
 */
export async function abortRollouts(options: {
  entity: string;
  environment: string;
}): Promise<void> {
  const { items } = await api(
    'GET',
    `/entities/component/default/${options.entity}/rollouts?limit=50`,
  );
  for (const rollout of items) {
    if (
      rollout.environment === options.environment &&
      !['succeeded', 'failed', 'aborted'].includes(rollout.state)
    ) {
      await api('POST', `/rollouts/${rollout.id}/abort`, {
        reason: 'a browser test starts its own',
      });
    }
  }
}

/**
 * Starts a rollout; while an aborted one of the same environment is still
 * being cleaned up (the engine frees the environment once AWS is put back)
 * the start answers 409 and is asked again, for up to a minute.
 */
export async function startRollout(body: Record<string, unknown>) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await api('POST', '/rollouts', body);
    } catch (error) {
      if (
        Date.now() > deadline ||
        !/answered 409: .*already has an active rollout/s.test(
          (error as Error).message,
        )
      ) {
        throw error;
      }
      await new Promise(resolve => setTimeout(resolve, 2_000));
    }
  }
}
