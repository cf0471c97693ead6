/**
 * Plan and billing in a real browser, in local mode (the e2e server has no Stripe key): the
 * owner of a new organization sees the trial, previews an upgrade to Growth (what changes and
 * that nothing is charged), confirms it and sees the new plan; then the usage page shows
 * every quota and the metered usage per day (usage seeded into the server's database).
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { currentOrgId, expect, signUpApi, test, uniqueEmail } from './fixtures';
import { brainEnv, ROOT } from './server';

/** Records some metered usage for the organization in the e2e server's database. */
function seedUsage(organizationId: string): void {
  const varDir = process.env.BRAIN_E2E_VAR ?? '';
  const url = new URL(process.env.BRAIN_E2E_URL ?? 'http://127.0.0.1:0');
  const code = [
    'import asyncio, sys, uuid',
    'from datetime import UTC, datetime, timedelta',
    'import brain.models_registry',
    'from brain.core.db import system_session',
    'from brain.core.runtime import Runtime',
    'from brain.finops.metering import record_usage',
    'from brain.settings import Settings',
    'async def main(org):',
    '    runtime = Runtime.create(Settings())',
    '    try:',
    '        async with system_session(runtime.session_factory) as session:',
    '            now = datetime.now(UTC)',
    "            for days, model, amount in ((0, 'gpt-4o', 1000), (1, 'gpt-4o', 400), (2, 'claude', 600)):",
    "                await record_usage(session, org, 'llm_tokens_in', amount, dimension=model, at=now - timedelta(days=days))",
    '    finally:',
    '        await runtime.close()',
    'asyncio.run(main(uuid.UUID(sys.argv[1])))',
  ].join('\n');
  const done = spawnSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', code, organizationId], {
    cwd: ROOT,
    env: brainEnv(varDir, Number(url.port)),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (done.status !== 0) throw new Error(`seeding usage failed: ${done.stderr}`);
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

test('the owner previews an upgrade, confirms it in local mode and sees the new plan', async ({ page }) => {
  await signUpApi(page, uniqueEmail('billing'), 'Olga Owner', 'Billing Co');
  await page.goto('/settings/billing');
  await expect(page.getByRole('heading', { name: 'Plan and billing', level: 1 })).toBeVisible();
  await expect(page.getByTestId('local-mode')).toContainText('Local mode: no payments');
  await expect(page.getByTestId('current-plan')).toHaveText('Trial');
  await expect(page.getByTestId('billing-summary')).toContainText('1 of 5 included seats used');
  await expect(page.getByText('Local mode has no invoices: nothing is charged.')).toBeVisible();

  const comparison = page.getByRole('table', { name: /What each plan includes/ });
  await expect(comparison.getByRole('row', { name: /Price per month/ })).toContainText('$799');
  await comparison.getByRole('button', { name: 'Choose Growth' }).click();

  const dialog = page.getByRole('dialog', { name: 'Change plan to Growth' });
  await expect(dialog.getByTestId('price-change')).toHaveText('Difference per month: +$799');
  await expect(dialog.getByTestId('local-mode-note')).toHaveText('Local mode: the change applies at once and nothing is charged.');
  expect(await seriousViolations(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Confirm the change' }).click();
  await expect(dialog).toBeHidden();

  await expect(page.getByTestId('current-plan')).toHaveText('Growth');
  await expect(page.getByTestId('billing-summary')).toContainText('Active');
  await expect(page.getByTestId('billing-summary')).toContainText('$799 / month');
  await expect(comparison.getByRole('columnheader', { name: /Growth/ })).toHaveAttribute('aria-current', 'true');
  await expect(comparison.getByRole('button', { name: 'Downgrade to Starter' })).toBeVisible();

  // The plan is the server's, not just the page's.
  await page.reload();
  await expect(page.getByTestId('current-plan')).toHaveText('Growth');
});

test('the usage page shows every quota and the usage per day as charts', async ({ page }) => {
  await signUpApi(page, uniqueEmail('usage'), 'Uma Usage', 'Usage Co');
  seedUsage(await currentOrgId(page));
  await page.goto('/settings/usage');
  await expect(page.getByRole('heading', { name: 'Usage', level: 1 })).toBeVisible();
  for (const quota of ['events_per_month', 'brain_runs_per_day', 'actions_per_day', 'llm_tokens_per_day', 'syncs_per_day']) {
    const row = page.getByTestId(`quota-${quota}`);
    await expect(row).toBeVisible();
    // The bar (its filled part is 0 px wide while nothing is used).
    await expect(row.getByRole('progressbar')).toHaveAttribute('aria-valuenow', /^\d+$/);
  }
  await expect(page.getByTestId('quota-events_per_month')).toContainText('of 100,000');

  // AI tokens (seeded; API requests are metered too, but flushed in batches): per day,
  // stacked by model, over the last 30 days.
  await page.getByText('Last 30 days').click();
  await expect(page.getByRole('radio', { name: 'Last 30 days' })).toBeChecked();
  await page.getByRole('textbox', { name: 'Meter' }).click();
  await page.getByRole('option', { name: 'AI tokens in' }).click();
  await expect(page.getByTestId('usage-total')).toHaveText('Total in the period: 2,000');
  const chart = page.locator('.recharts-wrapper').first();
  await expect(chart).toBeVisible();
  await expect(chart.locator('.recharts-bar-rectangle path')).toHaveCount(3);
  // The legend names the two models.
  await expect(chart).toContainText('claude');
  await expect(chart).toContainText('gpt-4o');
  await expect(page.getByText(/Data of the chart: AI tokens in/)).toBeAttached();
  expect(await seriousViolations(page)).toEqual([]);

  // On a phone: no horizontal scroll (wide tables scroll inside their own region).
  await page.setViewportSize({ width: 390, height: 844 });
  for (const route of ['/settings/usage', '/settings/billing']) {
    await page.goto(route);
    await expect(page.locator('h1').first()).toBeVisible();
    await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, route).toBeLessThanOrEqual(0);
  }
});
