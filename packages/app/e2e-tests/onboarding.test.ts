import { expect, test } from '@playwright/test';
import { signInAsGuest } from './signIn';

// The demo publishes onboarded services to its local repositories
// (immutable-infra:publish:local), whose Location the catalog reads every few
// seconds (app-config.yaml).

const TASK_TIMEOUT = { timeout: 120_000 };

test('the immutable-service template onboards a new service: published, in the catalog, enrolled, its Immutability tab saying what is left to reach gold', async ({
  page,
}) => {
  // A name of its own, so that the test can run again on the same demo.
  const name = `shipping-${Date.now() % 100_000}`;
  await signInAsGuest(page);
  await page.goto('/create');
  const card = page
    .getByRole('article')
    .filter({ hasText: 'Immutable service on the golden-image pipeline' });
  await card.getByRole('button', { name: 'Choose' }).click();

  // The service.
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Owner').fill('payments-team');
  await page.getByRole('option', { name: /payments-team/ }).click();
  await page.getByLabel('Description').fill('Ships what was ordered');
  await page.getByRole('button', { name: 'Next' }).click();

  // The image: the base family picker lists the registered families.
  await expect(page.getByRole('button', { name: /base-ubuntu/ })).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();

  // The fleet: its defaults.
  await page.getByRole('button', { name: 'Next' }).click();

  // The repository: the demo's local repositories.
  await page.getByLabel('Publish to').click();
  await page
    .getByRole('option', { name: /This portal's local repositories/ })
    .click();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  await expect(page.getByText('Immutability tab')).toBeVisible(TASK_TIMEOUT);
  await page.getByRole('link', { name: 'Immutability tab' }).click();
  // The catalog reads the published repository within seconds.
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(/Immutability: /).first()).toBeVisible({
      timeout: 5_000,
    });
  }).toPass(TASK_TIMEOUT);
  // Enrolled, its blueprint from the template, and what is left to reach gold.
  await expect(page.getByText('Immutability: no level (10/100)')).toBeVisible();
  await expect(
    page.getByText(`Image family ${name} is registered to this service`),
  ).toBeVisible();
  await expect(
    page.getByText('Roll each environment out to its channel version.'),
  ).toBeVisible();
  await expect(
    page.getByText(`cloudwatch:/aws/ec2/${name}`).first(),
  ).toBeVisible();
  await expect(
    page.getByText(`staging: ${name}-staging, production: ${name}-production`),
  ).toBeVisible();
});
