/**
 * The operator console in a real browser: a user made a platform operator with
 * `brain operators add EMAIL` (against the e2e server's database) sees the tenants with
 * their plan, cost and margin, opens one and adds a quota override that then shows in its
 * list and raises the tenant's quota; the costs and dead-letter pages render; every operator
 * page is checked with axe-core. Someone who is not an operator gets the no-permission state.
 */
import AxeBuilder from '@axe-core/playwright';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from '@playwright/test';

import { currentOrgId, expect, signUpApi, test, uniqueEmail } from './fixtures';
import { brainEnv, ROOT } from './server';

function runBrain(args: string[], input?: string): string {
  const varDir = process.env.BRAIN_E2E_VAR ?? '';
  const url = new URL(process.env.BRAIN_E2E_URL ?? 'http://127.0.0.1:0');
  const done = spawnSync(join(ROOT, '.venv', 'bin', args[0] === 'python' ? 'python' : 'brain'), args[0] === 'python' ? args.slice(1) : args, {
    cwd: ROOT,
    env: brainEnv(varDir, Number(url.port)),
    encoding: 'utf8',
    timeout: 60_000,
    input,
  });
  if (done.status !== 0) throw new Error(`${args.join(' ')} failed: ${done.stderr}`);
  return done.stdout;
}

/** Some metered usage for the tenant, so it has a cost. */
function seedUsage(organizationId: string): void {
  const code = [
    'import asyncio, sys, uuid',
    'import brain.models_registry',
    'from brain.core.db import system_session',
    'from brain.core.runtime import Runtime',
    'from brain.finops.metering import record_usage',
    'from brain.settings import Settings',
    'async def main(org):',
    '    runtime = Runtime.create(Settings())',
    '    try:',
    '        async with system_session(runtime.session_factory) as session:',
    "            await record_usage(session, org, 'sync_minutes', 5000)",
    "            await record_usage(session, org, 'llm_tokens_out', 2000000, dimension='gpt-4o')",
    '    finally:',
    '        await runtime.close()',
    'asyncio.run(main(uuid.UUID(sys.argv[1])))',
  ].join('\n');
  runBrain(['python', '-c', code, organizationId]);
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${page.url()}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

test('an operator sees the tenants, adds a quota override to one and it shows', async ({ page, browser, baseURL }) => {
  test.setTimeout(120_000);
  // A tenant with some usage, signed up in its own browser context.
  const tenantContext = await browser.newContext({ baseURL });
  const tenantPage = await tenantContext.newPage();
  const tenantName = `Tenant ${Date.now().toString(36)}`;
  await signUpApi(tenantPage, uniqueEmail('tenant'), 'Tara Tenant', tenantName);
  const tenantId = await currentOrgId(tenantPage);
  seedUsage(tenantId);
  // Not an operator: the console says so, and the API agrees.
  await tenantPage.goto('/operator/tenants');
  await expect(tenantPage.getByRole('heading', { name: 'You do not have permission to see this.' })).toBeVisible();
  await expect(tenantPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants' })).toHaveCount(0);

  // The operator.
  const email = uniqueEmail('operator');
  await signUpApi(page, email, 'Oscar Operator', 'Platform Ops');
  runBrain(['operators', 'add', email]);

  await page.goto('/operator/tenants');
  await expect(page.getByRole('heading', { name: 'Tenants', level: 1 })).toBeVisible();
  await page.getByRole('textbox', { name: 'Search tenants' }).fill(tenantName);
  const row = page.getByTestId('tenant-row').filter({ hasText: tenantName });
  await expect(row).toHaveCount(1);
  await expect(page.getByTestId('tenant-row')).toHaveCount(1);
  await expect(row).toContainText('Trial');
  // 5,000 sync minutes at $0.0008 and 2M output tokens at $1.50 per million: $7.00 of cost.
  await expect(row).toContainText('$7.00');
  expect(await seriousViolations(page)).toEqual([]);

  await row.getByRole('link', { name: `Open ${tenantName}` }).click();
  await expect(page.getByRole('heading', { name: `Tenant ${tenantName}`, level: 1 })).toBeVisible();
  await expect(page.getByText(/No override: the tenant gets exactly its plan/)).toBeVisible();

  await page.getByRole('button', { name: 'Add an override' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add an override' });
  // Submitting empty shows what is missing and sends nothing.
  await dialog.getByRole('button', { name: 'Add override' }).click();
  await expect(dialog.getByText('Give a reason of 3 to 500 characters.')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await dialog.getByRole('textbox', { name: 'What' }).click();
  await page.getByRole('option', { name: 'Brain runs' }).click();
  await dialog.getByRole('textbox', { name: 'New limit' }).fill('500');
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('E2E pilot: nightly backfills');
  await dialog.getByRole('button', { name: 'Add override' }).click();
  await expect(dialog).toBeHidden();

  const override = page.getByTestId('override-row');
  await expect(override).toHaveCount(1);
  await expect(override).toContainText('Brain runs');
  await expect(override).toContainText('500');
  await expect(override).toContainText('E2E pilot: nightly backfills');
  await expect(override).toContainText('Active');
  expect(await seriousViolations(page)).toEqual([]);

  // The tenant's plan now has the raised quota.
  const plan = (await (await tenantPage.request.get(`/api/v1/organizations/${tenantId}/plan`)).json()) as {
    quotas: Record<string, { limit: number | null }>;
  };
  expect(plan.quotas.brain_runs_per_day?.limit).toBe(500);

  // Revoke it: it stays listed, as revoked.
  await override.getByRole('button', { name: 'Revoke the override Brain runs' }).click();
  await page.getByRole('dialog', { name: 'Revoke this override?' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(override).toContainText('Revoked');
  await tenantContext.close();
});

test('the operator’s cost dashboard and dead letters render and are accessible', async ({ page }) => {
  test.setTimeout(120_000);
  const email = uniqueEmail('operator-costs');
  await signUpApi(page, email, 'Olive Operator', 'Cost Ops');
  seedUsage(await currentOrgId(page));
  runBrain(['operators', 'add', email]);

  await page.goto('/operator/costs');
  await expect(page.getByRole('heading', { name: 'Costs', level: 1 })).toBeVisible();
  await expect(page.getByTestId('costs-total')).not.toHaveText('$0.00');
  await expect(page.getByRole('heading', { name: 'Cost over time' })).toBeVisible();
  await expect(page.locator('.recharts-wrapper').first()).toBeVisible();
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto('/operator/dead-letters');
  await expect(page.getByRole('heading', { name: 'Dead letters', level: 1 })).toBeVisible();
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);
});
