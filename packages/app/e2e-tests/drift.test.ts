import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { api } from './demoApi';
import { signInAsGuest } from './signIn';

// Against the seeded demo (scripts/seed-demo.mjs): search-indexer's policy
// replaces SSH opened to the world automatically
// (immutable-infra.io/remediation: auto:ssh-open), and the demo's drift
// events queue is in the emulator. The documented demo command
// (README: "Drift erased by policy") makes the drift and puts its CloudTrail
// event on the queue; nobody clicks.

const ROOT = resolve(__dirname, '../../..');
const backend = process.env.PLAYWRIGHT_BACKEND_URL ?? 'http://localhost:7007';
const emulator = process.env.MOTO_URL ?? 'http://127.0.0.1:5000';
const DRIFT = '/entities/component/default/search-indexer/drift';

/** Seconds after the drift was made, from a line of the script's output. */
function secondsOf(output: string, what: RegExp): number {
  const line = output.split('\n').find(l => what.test(l));
  const seconds = line && /\+(\d+(?:\.\d+)?)s/.exec(line)?.[1];
  if (!seconds) {
    throw new Error(`no line ${what} in the script's output:\n${output}`);
  }
  return Number(seconds);
}

test('SSH opened on a service with an automatic policy is found from its event in seconds and erased without anyone clicking', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const before = await api('GET', DRIFT);
  const erasedBefore = before.lifetime?.windows?.[0]?.erasedAutomatically ?? 0;

  await signInAsGuest(page);
  await page.goto('/catalog/default/component/search-indexer/drift');
  await expect(
    page.getByText(
      'Remediation policy: automatic (ssh-open), at most 5 a day (immutable-infra.io/remediation)',
      { exact: false },
    ),
  ).toBeVisible();

  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--require',
      resolve(ROOT, 'node_modules/@backstage/cli/config/nodeTransform.cjs'),
      resolve(ROOT, 'scripts/demo-drift.mjs'),
      'ssh-open',
      'search-indexer',
      backend,
      emulator,
    ],
    { timeout: 240_000 },
  );
  // From the queue, not a sync: the event went on it, the finding followed.
  expect(stdout).toContain('put the CloudTrail event ModifyInstanceAttribute');
  expect(secondsOf(stdout, /finding appeared: ssh-open:world/)).toBeLessThan(5);
  const rolloutId = /automatic rollout (\S+) started/.exec(stdout)?.[1];
  expect(rolloutId).toBeDefined();
  expect(stdout).toMatch(/finding gone: i-\S+ replaced by rollout/);

  // What a person opening the service afterwards sees: no SSH drift, one
  // more finding erased automatically, and the rollout that erased it, by
  // the policy, in the history.
  await page.reload();
  await expect(
    page.getByText(
      new RegExp(
        `30 days, \\d+ gone, .*, ${erasedBefore + 1} erased automatically`,
      ),
    ),
  ).toBeVisible();
  await expect(page.getByText('ssh-open', { exact: true })).toHaveCount(0);
  const tabs = page.getByRole('navigation', { name: 'Content navigation' });
  await tabs.getByRole('link', { name: 'Immutability' }).click();
  await expect(
    page
      .getByRole('table', { name: 'Rollout history' })
      .getByRole('row', { name: /production search-indexer@\d+ succeeded/ })
      .filter({ hasText: 'plugin:immutable-infra/remediation' })
      .first(),
  ).toContainText('auto-remediation of ssh-open (ssh-open:world)');
  const rollout = await api('GET', `/rollouts/${rolloutId}`);
  expect(rollout).toMatchObject({
    strategy: 'replaceDrifted',
    state: 'succeeded',
    createdBy: 'plugin:immutable-infra/remediation',
  });
});
