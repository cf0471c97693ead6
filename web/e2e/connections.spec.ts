/**
 * Connecting a platform in a real browser: a new owner (signed up through the API) opens the connect wizard from the
 * connections page, picks Shopify, starts with sandbox data, reads the access checklist,
 * keeps both streams with a 60-day backfill, follows the first sync to its end, and finds the
 * connection with its sync history; then runs a delta sync from the connection's page and
 * disconnects it (keeping the data). Each page is checked with axe-core on the way.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

import { expect, signUpApi, test, uniqueEmail } from './fixtures';

async function seriousViolations(page: Page): Promise<string[]> {
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

test('connect a sandbox platform through the wizard, follow the first sync, see it in the history', async ({ page }) => {
  test.setTimeout(180_000);
  await signUpApi(page, uniqueEmail('connect'), 'Connie Owner', 'Connect Co');
  await page.goto('/settings/profile');

  // The connections page starts empty and says what to do.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
  await expect(page.getByRole('heading', { name: 'Connections', level: 1 })).toBeVisible();
  await expect(page.getByText(/No platform connected yet/)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('link', { name: 'Connect a platform' }).first().click();

  // 1. Choose: one card per platform, saying what it needs.
  await expect(page.getByRole('heading', { name: 'Step 1 of 5: Choose a platform', level: 2 })).toBeVisible();
  const shopify = page.getByTestId('provider-shopify');
  await expect(shopify).toContainText('An API key or access token');
  expect(await seriousViolations(page)).toEqual([]);
  // Keyboard: the card's button is reachable and activated with Enter.
  await shopify.getByRole('button', { name: 'Connect Shopify' }).focus();
  await page.keyboard.press('Enter');

  // 2. Authorize — with sandbox data; focus is on the step's heading.
  const authorize = page.getByRole('heading', { name: /Step 2 of 5: Authorize · Shopify/ });
  await expect(authorize).toBeFocused();
  await expect(page.getByLabel(/^API key/)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Use sandbox data' }).click();

  // 3. The access checklist.
  await expect(page.getByRole('heading', { name: /Step 3 of 5: Check access/ })).toBeFocused();
  await expect(page).toHaveURL(/\/connections\/new\?connection=/);
  await expect(page.getByText(/All checks passed/)).toBeVisible({ timeout: 30_000 });
  const checks = page.getByRole('list', { name: 'Access checks' }).getByRole('listitem');
  await expect(checks.first()).toContainText('Credentials — Passed');
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Continue' }).click();

  // 4. Streams and backfill start.
  await expect(page.getByRole('heading', { name: /Step 4 of 5: What to sync/ })).toBeFocused();
  await expect(page.getByRole('switch', { name: /^orders/ })).toBeChecked();
  await expect(page.getByRole('switch', { name: /^customers/ })).toBeChecked();
  await page.getByLabel(/Backfill from/).fill(daysAgo(60));
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Start the first sync' }).click();

  // 5. The first sync with live progress, to its end.
  await expect(page.getByRole('heading', { name: /Step 5 of 5: First sync/ })).toBeFocused();
  const progress = page.getByRole('group', { name: 'Sync progress' });
  await expect(progress).toBeVisible();
  await expect(progress.getByRole('progressbar', { name: /^orders: / })).toBeVisible();
  await expect(progress.getByRole('progressbar', { name: /^customers: / })).toBeVisible();
  await expect(page.getByTestId('sync-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await expect(progress.getByRole('progressbar', { name: 'orders: 100%' })).toBeVisible();
  await expect(page.getByText(/The first sync finished: [\d,]+ rows written\./)).toBeVisible();
  await expect(page.getByRole('link', { name: 'Go to the dashboard' })).toHaveAttribute('href', '/');
  await expect(page.getByRole('button', { name: 'Run the brain now' })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // The connection, its health and its history.
  await page.getByRole('link', { name: 'Open the connection' }).click();
  await expect(page.getByRole('heading', { name: 'Shopify (sandbox)', level: 1 })).toBeVisible();
  const history = page.getByTestId('sync-history');
  await expect(history.getByRole('row')).toHaveCount(2);
  await expect(history.getByRole('row').nth(1)).toContainText('Backfill');
  await expect(history.getByRole('row').nth(1)).toContainText('Succeeded');
  await expect(history.getByRole('row').nth(1)).toContainText('orders');
  expect(await seriousViolations(page)).toEqual([]);

  // A delta sync from the connection's page, followed live too.
  await page.getByRole('button', { name: 'Start the sync' }).click();
  await expect(page.getByTestId('sync-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await expect(history.getByRole('row')).toHaveCount(3, { timeout: 15_000 });
  await expect(history.getByRole('row').nth(1)).toContainText('Delta');

  await page.getByRole('link', { name: 'All connections' }).click();
  const row = page.getByRole('row', { name: /Shopify \(sandbox\)/ });
  await expect(row).toContainText('Healthy');
  await expect(row).toContainText('Shopify');

  // Disconnect, keeping the data.
  await row.getByRole('link', { name: 'Shopify (sandbox)' }).click();
  await page.getByRole('button', { name: 'Disconnect' }).click();
  const dialog = page.getByRole('dialog', { name: 'Disconnect Shopify (sandbox)?' });
  await expect(dialog.getByRole('radio', { name: /Keep it/ })).toBeChecked();
  expect(await seriousViolations(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page).toHaveURL(/\/connections$/);
  await expect(page.getByText(/No platform connected yet/)).toBeVisible();
});
