import { expect, Page, test } from '@playwright/test';
import { newLocalRepository } from './localRepositories';
import { signInAsGuest } from './signIn';

// The demo publishes onboarded services to its local repositories
// (immutable-infra:publish:local), whose Location the catalog reads every few
// seconds (app-config.yaml).

const TASK_TIMEOUT = { timeout: 120_000 };

/**
 * From a finished task, the link to the service's Immutability tab, reloaded
 * until the catalog has read the repository it published (within seconds).
 */
async function openImmutabilityTab(page: Page) {
  const link = page.getByRole('link', { name: 'Immutability tab' });
  await expect(link).toBeVisible(TASK_TIMEOUT);
  await link.click();
  // Each reload is given as long as a page may take to render on a busy
  // machine (the dev server's bundles are unminified).
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(/Immutability: /).first()).toBeVisible({
      timeout: 20_000,
    });
  }).toPass(TASK_TIMEOUT);
}

/** Opens the template of that title from the Create page. */
async function chooseTemplate(page: Page, title: string) {
  await page.goto('/create');
  // The innermost element holding the card's title and its button, waited
  // for as long as a page may take to render (the templates list loads
  // after the page).
  const choose = page
    .locator('div')
    .filter({
      has: page.getByRole('heading', { level: 4, name: title, exact: true }),
    })
    .filter({ has: page.getByRole('button', { name: 'Choose' }) })
    .last()
    .getByRole('button', { name: 'Choose' });
  await expect(choose).toBeVisible();
  await choose.click();
}

test('the immutable-service template onboards a new service: published, in the catalog, enrolled, its Immutability tab saying what is left to reach gold', async ({
  page,
}) => {
  // A name of its own, so that the test can run again on the same demo.
  const name = `shipping-${Date.now() % 100_000}`;
  await signInAsGuest(page);
  await chooseTemplate(page, 'Immutable service on the golden-image pipeline');

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

  await openImmutabilityTab(page);
  // Enrolled, its blueprint from the template, and what is left to reach gold:
  // nothing earned before it has instances, not even its logs (a CloudWatch
  // destination is verified on the instances).
  await expect(page.getByText('Immutability: no level (0/100)')).toBeVisible();
  await expect(
    page
      .getByRole('table', { name: 'checks' })
      .getByRole('row', { name: /^Logs shipped off-host/ }),
  ).toContainText('unknown');
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

test('the enroll-existing-service template enrolls a service of the local repositories: annotations and pipeline committed to its repository, its Immutability tab saying what is left to reach gold', async ({
  page,
}) => {
  // A service of its own, not enrolled: the demo's storefront-web under
  // another name, in a repository of its own.
  const name = await newLocalRepository('storefront-web');
  await signInAsGuest(page);
  // Not enrolled yet: no Immutability tab (the catalog reads the new
  // repository within seconds).
  await expect(async () => {
    await page.goto(`/catalog/default/component/${name}`);
    await expect(page.getByRole('heading', { name })).toBeVisible({
      timeout: 5_000,
    });
  }).toPass(TASK_TIMEOUT);
  const tabs = page.getByRole('navigation', { name: 'Content navigation' });
  await expect(tabs.getByRole('link', { name: 'Overview' })).toBeVisible();
  await expect(tabs.getByRole('link', { name: 'Immutability' })).toHaveCount(0);

  await chooseTemplate(
    page,
    'Put an existing service on the golden-image pipeline',
  );

  // The service, picked from the catalog.
  await page.getByLabel('Component').fill(name);
  await page.getByRole('option', { name: new RegExp(`\\b${name}\\b`) }).click();
  await page.getByRole('button', { name: 'Next' }).click();

  // Its fleet today: the tags its instances carry.
  await page.getByLabel('Fleet selector').fill('service=storefront-web');
  await page
    .getByLabel('Auto Scaling groups')
    .fill(
      'staging=storefront-web-staging,production=storefront-web-production',
    );
  await page.getByRole('button', { name: 'Next' }).click();

  // Its image: the defaults, from the registered base family.
  await expect(page.getByRole('button', { name: /base-ubuntu/ })).toBeVisible();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();

  await expect(
    page.getByText(/The annotations and the pipeline are committed/),
  ).toBeVisible(TASK_TIMEOUT);
  await openImmutabilityTab(page);
  await expect(
    page.getByText(`Image family ${name} is registered to this service`),
  ).toBeVisible();
  await expect(
    page.getByText(`cloudwatch:/aws/ec2/${name}`).first(),
  ).toBeVisible();
  await expect(
    page.getByText(
      'staging: storefront-web-staging, production: storefront-web-production',
    ),
  ).toBeVisible();
});
