import { expect, Page, test } from '@playwright/test';

async function signInAsGuest(page: Page) {
  await page.goto('/');
  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(enter).toBeVisible();
  await enter.click();
  await expect(page.getByRole('link', { name: 'payments-api' })).toBeVisible();
}

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
    page.getByText('cloudwatch:/aws/ec2/payments-api'),
  ).toBeVisible();
  await expect(page.getByText('staging → production')).toBeVisible();
});

test('a service that is not enrolled has no Immutability tab', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/storefront-web');
  await expect(
    page.getByRole('heading', { name: 'storefront-web' }),
  ).toBeVisible();
  const tabs = page.getByRole('navigation', { name: 'Content navigation' });
  await expect(tabs.getByRole('link', { name: 'Overview' })).toBeVisible();
  await expect(tabs.getByRole('link', { name: 'Immutability' })).toHaveCount(0);
});
