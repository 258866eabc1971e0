import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { signInAsGuest } from './signIn';

// The demo seed writes today's adoption snapshot and rebuilds the six weeks
// before it from the history it replays (POST /adoption/snapshots).

test("the adoption dashboard shows the demo's teams under their department and the trends, filters by owner in its URL, and downloads the view as CSV", async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.getByRole('link', { name: 'Immutability' }).click();
  await expect(
    page.getByRole('heading', { name: 'Immutability adoption' }),
  ).toBeVisible();
  await expect(page.getByText(/^Snapshot of \d{4}-\d\d-\d\d$/)).toBeVisible();

  // The headline figures, each with its trend over the rebuilt weeks.
  await expect(
    page.getByLabel('Services enrolled', { exact: true }),
  ).toHaveText(/^\d+ of \d+$/);
  await expect(
    page.getByRole('img', { name: /^Services enrolled, last \d+ days$/ }),
  ).toBeVisible();

  // The roll-up by owner: the department, and its teams under it.
  const groups = page.getByRole('table', { name: 'adoption by owner' });
  await expect(groups.getByRole('link', { name: 'commerce' })).toBeVisible();
  await expect(
    groups.getByRole('link', { name: 'payments-team' }),
  ).toBeVisible();
  await expect(
    groups.getByRole('link', { name: 'storefront-team' }),
  ).toBeVisible();

  // Drill down to one team: its services only, the view in the URL.
  await groups
    .getByRole('button', {
      name: 'Show the services of group:default/payments-team',
    })
    .click();
  await expect(page).toHaveURL(/owner=group%3Adefault%2Fpayments-team/);
  const services = page.getByRole('table', { name: 'services' });
  await expect(
    services.getByRole('link', { name: 'payments-api' }),
  ).toBeVisible();
  await expect(
    services.getByRole('link', { name: 'checkout-web' }),
  ).toHaveCount(0);
  // The same view from its URL.
  await page.reload();
  await expect(
    services.getByRole('link', { name: 'ledger-worker' }),
  ).toBeVisible();
  await expect(
    services.getByRole('link', { name: 'search-indexer' }),
  ).toHaveCount(0);

  // The CSV of exactly this view.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const file = await (await download).path();
  const csv = await readFile(file, 'utf8');
  expect(csv.split('\n')[0]).toMatch(/^entityRef,owner,system,/);
  expect(csv).toContain(
    'component:default/payments-api,group:default/payments-team',
  );
  expect(csv).not.toContain('component:default/checkout-web');

  // The services not enrolled yet link to the template that enrolls them.
  await page.goto('/immutability?enrolled=false');
  const enroll = page
    .getByRole('button', { name: 'Not enrolled: enroll' })
    .first();
  await expect(enroll).toHaveAttribute(
    'href',
    /^\/create\/templates\/default\/enroll-existing-service\?formData=/,
  );
});

test('the dashboard shows the demo initiative under way with its burn-up, and a platform lead creates one', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/immutability');
  const initiatives = page.getByRole('list', { name: 'initiatives' });
  await expect(
    initiatives.getByRole('heading', { name: 'Commerce on silver' }),
  ).toBeVisible();
  await expect(
    initiatives.getByRole('progressbar', {
      name: /^Commerce on silver: \d+ of \d+ done$/,
    }),
  ).toBeVisible();
  await expect(
    initiatives.getByRole('img', { name: 'Commerce on silver burn-up' }),
  ).toBeVisible();
  await expect(
    initiatives.getByText(/behind: \d+ of \d+/).first(),
  ).toBeVisible();

  // A new one: no SSH on any production component by the end of March.
  const title = `No SSH ${Date.now() % 100_000}`;
  await page.getByRole('button', { name: 'New initiative' }).click();
  const dialog = page.getByRole('dialog', { name: 'New initiative' });
  await dialog.getByLabel('Title').fill(title);
  await dialog.getByLabel('Goal').click();
  await page.getByRole('option', { name: 'Check "no-ssh" passing' }).click();
  await dialog.getByLabel('Deadline').fill('2027-03-31');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toHaveCount(0);
  // Its own entry: a run before this one on the same demo made another with
  // the same goal and deadline.
  const created = initiatives
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: title }) });
  await expect(created).toBeVisible();
  await expect(
    created.getByText('Check "no-ssh" passing · by 2027-03-31 · active'),
  ).toBeVisible();
});
