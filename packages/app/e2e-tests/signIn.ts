import { expect, Page } from '@playwright/test';

/** Signs in as the guest user and waits for the demo catalog. */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(enter).toBeVisible();
  await enter.click();
  await expect(page.getByRole('link', { name: 'payments-api' })).toBeVisible();
}
