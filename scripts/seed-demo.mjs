#!/usr/bin/env node
// Seeds the running demo backend: waits for the demo catalog to be ingested,
// then enrolls the image family of every annotated entity through the
// plugin's own API, signed in as the guest user.
//
// usage: node scripts/seed-demo.mjs [backendBaseUrl] (default http://localhost:7007)

const backend = (process.argv[2] ?? 'http://localhost:7007').replace(/\/$/, '');
const FAMILY_ANNOTATION = 'immutable-infra.io/image-family';
const EXPECTED_ENROLLED = 5;

async function call(path, { token, method = 'GET', body } = {}) {
  const response = await fetch(`${backend}${path}`, {
    method,
    headers: {
      'X-Requested-With': 'XMLHttpRequest',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function main() {
  const { backstageIdentity } = await call(
    '/api/auth/guest/refresh?env=development',
  );
  const token = backstageIdentity.token;

  let entities = [];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    entities = await call(
      `/api/catalog/entities?filter=metadata.annotations.${FAMILY_ANNOTATION}&fields=kind,metadata.namespace,metadata.name,metadata.annotations`,
      { token },
    );
    if (entities.length >= EXPECTED_ENROLLED) break;
    await sleep(1000);
  }
  if (entities.length === 0) {
    throw new Error('the demo catalog has no enrolled entities after 120s');
  }

  for (const entity of entities) {
    const entityRef = `${entity.kind}:${
      entity.metadata.namespace ?? 'default'
    }/${entity.metadata.name}`.toLowerCase();
    const name = entity.metadata.annotations[FAMILY_ANNOTATION];
    const { created } = await call('/api/immutable-infra/families', {
      token,
      method: 'POST',
      body: { name, entityRef },
    });
    console.log(
      `${
        created ? 'enrolled' : 'already enrolled'
      }: family ${name} for ${entityRef}`,
    );
  }
}

main().catch(error => {
  console.error(`seeding the demo failed: ${error.message}`);
  process.exit(1);
});
