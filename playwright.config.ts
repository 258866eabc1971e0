import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests in headless Chromium against a running app.
 *
 * scripts/test starts the backend and the app on free ports and sets
 * PLAYWRIGHT_URL. To run against `yarn start`, start it first and run
 * `yarn test:e2e`. The browser is Debian's Chromium (CHROMIUM_PATH, default
 * /usr/bin/chromium): no browser download is needed.
 */
export default defineConfig({
  // A test waits at most two minutes for a rollout or a scaffolder task
  // (ROLLOUT_TIMEOUT, TASK_TIMEOUT), besides its pages.
  timeout: 180_000,
  // The dev server serves unminified bundles, slow on a busy machine: a
  // page's first render may take seconds.
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'e2e-test-report' }],
  ],
  use: {
    // A click or a fill on an element that is there takes well under a
    // second; what a test waits for, it waits for with expect.
    actionTimeout: 15_000,
    navigationTimeout: 60_000,
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:3000',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  outputDir: 'node_modules/.cache/e2e-test-results',
  projects: [{ name: 'app', testDir: 'packages/app/e2e-tests' }],
});
