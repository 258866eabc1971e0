import { expect, test } from '@playwright/test';
import { api } from './demoApi';
import { signInAsGuest } from './signIn';

test('an enrolled demo service shows its enrolment on the Immutability tab', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/payments-api');
  const tab = page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'Immutability' });
  await expect(tab).toBeVisible();
  await tab.click();

  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/payments-api\/immutability/,
  );
  await expect(page.getByText('Enrolled', { exact: true })).toBeVisible();
  await expect(
    page.getByText('is registered to this service since'),
  ).toBeVisible();
  await expect(
    page.getByText('cloudwatch:/aws/ec2/payments-api', { exact: true }),
  ).toBeVisible();
  // Its score, gold while a canary of production waits for a promote (the
  // fleet on its channel image counts the canary's instances as its
  // progress) and after it, is asserted in rollouts.test.ts, on a canary of
  // its own.
  await expect(page.getByText('staging → production')).toBeVisible();
});

test('the Image age tab shows the version history and channels of a demo service', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/ledger-worker/image-age');

  const versions = page.getByRole('table', { name: 'image versions' });
  await expect(versions.getByText('v4', { exact: true })).toBeVisible();
  await expect(versions.getByText('v1', { exact: true })).toBeVisible();
  // The revoked version, and a version 50 days old.
  await expect(versions.getByText('revoked', { exact: true })).toBeVisible();
  await expect(versions.getByText('50 days ago')).toBeVisible();

  const channels = page.getByRole('table', { name: 'channels' });
  await expect(channels.getByText('production', { exact: true })).toBeVisible();
  await expect(
    channels.getByText('ledger-worker@2', { exact: true }),
  ).toBeVisible();
  await expect(
    page
      .getByRole('table', { name: 'channel history' })
      .getByText('ledger-worker@2 → ledger-worker@4'),
  ).toBeVisible();
});

test('the Drift tab of the revoked-image demo service shows that finding and its instances', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/ledger-worker/drift');
  await expect(
    page.getByText('2 instances run the revoked ledger-worker@3'),
  ).toBeVisible();
  await expect(page.getByText('2 critical')).toBeVisible();
  const instances = page.getByRole('table', { name: 'instances' });
  await expect(instances.getByText('revoked-image')).toHaveCount(2);
  await page.getByText('2 instances run the revoked ledger-worker@3').click();
  await expect(
    page.getByText(/revoked .*: CVE-2026-31337/).first(),
  ).toBeVisible();
});

test('the never-rotated demo service shows its old instance on the Drift tab', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/legacy-billing/drift');
  await expect(
    page.getByText(
      '1 instance in production has not been replaced within the instance age limit',
    ),
  ).toBeVisible();
});

test('the Immutability tab lists who revoked a version, and why', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/ledger-worker/immutability');
  const activity = page.getByRole('table', { name: 'activity' });
  await expect(
    activity.getByText(
      'revoked ledger-worker@3 · reason: CVE-2026-31337: remote code execution in libxml2',
    ),
  ).toBeVisible();
});

test('a service whose fleet cannot be synced says its inventory is stale, and why', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/fraud-scoring/drift');
  await expect(
    page.getByText('This inventory is stale: the last sync failed'),
  ).toBeVisible();
  // The stale-inventory finding names AWS's answer.
  await expect(
    page.getByRole('button', {
      name: /The last sync failed \(ap-east-1: You are not subscribed to this service in ap-east-1/,
    }),
  ).toBeVisible();
});

test('the Rollouts card shows the plan of a rollout before anything starts', async ({
  page,
}) => {
  const rollouts = () =>
    api('GET', '/entities/component/default/ledger-worker/rollouts');
  const before = (await rollouts()).items.map((r: { id: string }) => r.id);
  await signInAsGuest(page);
  // The stateful demo service: two production instances on a revoked image.
  await page.goto('/catalog/default/component/ledger-worker/immutability');
  await page.getByRole('button', { name: 'Roll out production' }).click();
  const dialog = page.getByRole('dialog');
  await expect(
    dialog.getByText('Roll production out to ledger-worker@2'),
  ).toBeVisible();
  await expect(
    dialog.getByText(/3 in service, 2 to replace; at most 1 extra at once/),
  ).toBeVisible();
  // Stateful: waves of one, each waiting for a promote.
  await expect(dialog.getByText('pause until promoted').first()).toBeVisible();
  await expect(
    dialog.getByRole('button', { name: 'Start rollout' }),
  ).toBeEnabled();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  // Cancelled: nothing started (the history holds the demo's past ones).
  await expect(dialog).toBeHidden();
  await expect(
    page.getByRole('heading', { name: /^production: .* → ledger-worker@2\b/ }),
  ).toBeHidden();
  expect((await rollouts()).items.map((r: { id: string }) => r.id)).toEqual(
    before,
  );
});
