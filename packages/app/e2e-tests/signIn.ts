import { expect, Page } from '@playwright/test';

/**
 * Signs in as the guest user and waits for the demo catalog. The first page
 * a test opens loads the whole app: it is given as long as a navigation.
 */
export async function signInAsGuest(page: Page) {
  const firstPage = { timeout: 60_000 };
  await page.goto('/');
  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(enter).toBeVisible(firstPage);
  await enter.click();
  await expect(page.getByRole('link', { name: 'payments-api' })).toBeVisible(
    firstPage,
  );
}
