import { expect, Page, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { abortRollouts, registerNewVersion, startRollout } from './demoApi';
import { signInAsGuest } from './signIn';

// Against the seeded demo (scripts/seed-demo.mjs). Each test starts the
// rollout it watches: a canary of a new payments-api build, or a rollout of
// search-indexer from its button (which an abort ends, so that the next
// test finds it as the seed left it), its alarm watched. The engine moves a
// rollout every 3 seconds (app-config.yaml), the card follows it every 3.

const ROLLOUT_TIMEOUT = { timeout: 120_000 };

/** The rollout under way on the Rollouts card, by its heading. */
function activeRollout(page: Page, toVersion: string) {
  return page.getByRole('heading', {
    name: new RegExp(`^production: .* → ${toVersion}\\b`),
  });
}

/** Starts a rollout of production from the button, after its plan. */
async function startProductionRollout(page: Page, toVersion: string) {
  await page.getByRole('button', { name: 'Roll out production' }).click();
  const dialog = page.getByRole('dialog');
  await expect(
    dialog.getByText(`Roll production out to ${toVersion} (canary)`),
  ).toBeVisible();
  await dialog.getByRole('button', { name: 'Start rollout' }).click();
  await expect(dialog).toBeHidden();
  const heading = activeRollout(page, toVersion);
  // The engine has launched what the first step needs and waits.
  await expect(heading).toContainText('waiting for promotion', ROLLOUT_TIMEOUT);
  return heading;
}

test('a canary of a new build waits for its promote, the service gold meanwhile; promoting completes it and the fleet stays gold', async ({
  page,
}) => {
  // Two rollout waits: to the pause, and to the end.
  test.setTimeout(2 * ROLLOUT_TIMEOUT.timeout + 60_000);
  // Its own canary, as the seed's: a new build of payments-api rolled out to
  // production with its annotation's strategy (half, then a pause until
  // promoted). A rollout of production already under way (the seed's, or
  // one an earlier run left) is aborted first.
  await abortRollouts({ entity: 'payments-api', environment: 'production' });
  const build = await registerNewVersion({
    family: 'payments-api',
    parent: 'base-ubuntu@3',
  });
  await startRollout({
    entityRef: 'component:default/payments-api',
    environment: 'production',
    version: build.version,
    reason: 'a browser test: half of production first',
  });

  await signInAsGuest(page);
  await page.goto('/catalog/default/component/payments-api/immutability');
  const heading = activeRollout(page, build.id);
  await expect(heading).toContainText('waiting for promotion', ROLLOUT_TIMEOUT);
  await expect(
    page.getByText('Step 2 of 3: pause until promoted', { exact: true }),
  ).toBeVisible();
  // Half of production runs the new build, which is not production's
  // channel version until the rollout succeeds: the score says production
  // is rolling out, and how far (as of the page's load), rather than
  // failing on the mixed fleet, and the service stays gold.
  await expect(page.getByText('Immutability: gold (100/100)')).toBeVisible();
  await expect(
    page
      .getByRole('table', { name: 'checks' })
      .getByRole('row', { name: /^Fleet runs its channel image/ }),
  ).toContainText(
    new RegExp(
      `production is rolling out to ${build.id} \\(rollout [^)]+\\): step \\d of 3, `,
    ),
  );
  const versions = page.getByRole('table', {
    name: 'versions per environment',
  });
  const production = versions.getByRole('row', { name: /^production/ });
  // The rollout's own view (the versions table shows the last sync, taken
  // when the earlier canary was cleaned up): two of three on the new build.
  await expect(
    page.getByText(
      'payments-api-production: 2 of 2 new instances passed, 1 old',
    ),
  ).toBeVisible();

  await page.getByRole('button', { name: 'promote' }).click();
  await expect(heading).toContainText('succeeded', ROLLOUT_TIMEOUT);
  await expect(
    page.getByText(
      'payments-api-production: 3 of 3 new instances passed, 0 old',
    ),
  ).toBeVisible();

  // The fleet synced on success: all of production on the new version,
  // which the channel now points at.
  // Away and back, as a user would; the score and versions are read again.
  const tabs = page.getByRole('navigation', { name: 'Content navigation' });
  await tabs.getByRole('link', { name: 'Drift' }).click();
  await expect(page).toHaveURL(/\/drift$/);
  await tabs.getByRole('link', { name: 'Immutability' }).click();
  await expect(page.getByText('Immutability: gold (100/100)')).toBeVisible();
  await expect(production).toContainText(`${build.id} × 3`);
  await expect(
    page.getByRole('table', { name: 'Rollout history' }).getByRole('row', {
      name: new RegExp(`production ${build.id} succeeded`),
    }),
  ).toBeVisible();
});

test('a rollout started from its button can be aborted, and the card says who aborted it', async ({
  page,
}) => {
  await signInAsGuest(page);
  // One production instance runs a hand-built AMI: the rollout replaces it
  // from the launch template, on the channel's version.
  await page.goto('/catalog/default/component/search-indexer/immutability');
  const heading = await startProductionRollout(page, 'search-indexer@3');
  await page.getByRole('button', { name: 'abort' }).click();
  await expect(heading).toBeHidden();
  await expect(
    page
      .getByRole('table', { name: 'Rollout history' })
      .getByRole('row', { name: /search-indexer@3 aborted/ })
      .first(),
  ).toContainText(/aborted by user:\S+\/guest/);
});

const setAlarm = (state: 'ALARM' | 'OK') =>
  promisify(execFile)(process.execPath, [
    resolve(__dirname, '../../../scripts/demo-alarm.mjs'),
    'search-indexer-errors',
    state,
    // The demo's emulator: scripts/test passes its own, scripts/start's
    // listens on port 5000.
    process.env.MOTO_URL ?? 'http://127.0.0.1:5000',
  ]);

test('an alarm in ALARM aborts the rollout that watches it, naming the alarm', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/search-indexer/immutability');
  const heading = await startProductionRollout(page, 'search-indexer@3');
  try {
    // The documented demo command (README: "Rollouts in the demo").
    await setAlarm('ALARM');
    await expect(heading).toContainText('aborted', ROLLOUT_TIMEOUT);
    await expect(
      page
        .getByText(
          'aborted automatically: alarm search-indexer-errors is in ALARM: Threshold crossed',
        )
        .first(),
    ).toBeVisible();
  } finally {
    await setAlarm('OK');
  }
});
