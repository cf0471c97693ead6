/**
 * End-to-end tests on the machine's Chromium (Debian's `chromium`; never a downloaded
 * browser) against a real `brain serve` on a fresh SQLite database (see server.ts).
 */
import { existsSync } from 'node:fs';

import { defineConfig } from '@playwright/test';

const executablePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  throw new Error(`No Chromium at ${executablePath}: install Debian's chromium or set CHROME_PATH`);
}

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  // One retry under CI (the list reporter marks a test that passed on retry as flaky, so a
  // flake stays visible); none locally.
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: '../test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath, args: ['--no-sandbox'] },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
