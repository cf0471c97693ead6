/**
 * The brain pages in a real browser: the beauty demo tenant is seeded into the e2e server's
 * database (`brain seed`'s code, 120 days of simulated history) with its owner login; the
 * owner runs the brain from the dashboard, follows the progress, reads the FACE story
 * (TikTok decaying, C12 fatiguing) and its 3 actions, accepts one; then every brain page is
 * checked with axe-core (no serious or critical violations) and the budget what-if is run.
 */
import AxeBuilder from '@axe-core/playwright';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { expect, logIn, test } from './fixtures';
import { brainEnv, ROOT } from './server';

const BRAIN_ROUTES = ['/face', '/brain/memory', '/brain/oracle', '/brain/curiosity', '/brain/runs'];

interface Seeded {
  email: string;
  password: string;
  organization_id: string;
}

/** Seeds the demo tenant into the running server's database and returns its owner login. */
function seedDemo(): Seeded {
  const varDir = process.env.BRAIN_E2E_VAR ?? '';
  const url = new URL(process.env.BRAIN_E2E_URL ?? 'http://127.0.0.1:0');
  const code = [
    'import asyncio, json',
    'from brain.settings import Settings',
    'from brain.demo.seed import seed_vertical',
    'from brain.cli_ops import ensure_demo_user',
    'settings = Settings()',
    'result = asyncio.run(seed_vertical(settings, "beauty", days=120, seed=7))',
    'email, password = asyncio.run(ensure_demo_user(settings, result.organization_id))',
    'print(json.dumps({"email": email, "password": password, "organization_id": str(result.organization_id)}))',
  ].join('\n');
  const done = spawnSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', code], {
    cwd: ROOT,
    env: brainEnv(varDir, Number(url.port)),
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (done.status !== 0) throw new Error(`seeding the demo tenant failed: ${done.stderr}`);
  const last = done.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Seeded;
}

async function seriousViolations(page: import('@playwright/test').Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

let seeded: Seeded;

async function logInAsOwner(page: import('@playwright/test').Page): Promise<void> {
  await logIn(page, seeded.email, seeded.password);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  seeded = seedDemo();
});

test('run the brain from the dashboard, read the story, accept an action', async ({ page }) => {
  test.setTimeout(300_000);
  await logInAsOwner(page);
  await page.goto('/face');
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  // No run yet: the empty state says what to do, and is accessible too.
  await expect(page.getByText('No brain run yet')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByRole('button', { name: 'Run the brain now' }).click();
  // Live progress per module while the run is going.
  await expect(page.getByRole('progressbar').first()).toBeVisible({ timeout: 30_000 });
  const narrative = page.getByTestId('face-narrative');
  await expect(narrative).toBeVisible({ timeout: 240_000 });
  await expect(narrative).toContainText('TikTok');
  await expect(narrative).toContainText('C12');

  const actions = page.getByRole('region', { name: 'Top 3 actions' }).getByRole('article');
  await expect(actions).toHaveCount(3);
  const first = actions.first();
  const accept = first.getByRole('button', { name: /^Accept:/ });
  await accept.click();
  await expect(page.getByText(/^Accepted: /)).toBeVisible();

  // The persona and period are kept in the URL.
  await page.getByText('VP Growth', { exact: true }).click();
  await expect(page).toHaveURL(/persona=vp_growth/);
  await page.getByText('28 days', { exact: true }).click();
  await expect(page).toHaveURL(/period=28d/);
  await expect(narrative).toBeVisible();
});

test('every brain page has no serious accessibility violations; the budget what-if answers', async ({ page }) => {
  test.setTimeout(180_000);
  await logInAsOwner(page);
  for (const route of BRAIN_ROUTES) {
    await page.goto(route);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.locator('[aria-busy="true"]')).toHaveCount(0, { timeout: 60_000 });
    expect({ route, violations: await seriousViolations(page) }).toEqual({ route, violations: [] });
  }

  await page.goto('/brain/memory');
  await expect(page.getByRole('rowheader', { name: /Meta/ }).first()).toBeVisible({ timeout: 60_000 });

  await page.goto('/brain/oracle');
  await expect(page.getByRole('rowheader', { name: 'C12' })).toBeVisible();

  await page.goto('/brain/curiosity');
  await page.getByLabel('Total daily budget').fill('20000');
  await page.getByRole('button', { name: 'Calculate' }).click();
  await expect(page.getByText('Extra modelled revenue over 28 days')).toBeVisible({ timeout: 30_000 });
  expect(await seriousViolations(page)).toEqual([]);

  // Keyboard only: the reject dialog takes focus and Escape returns it.
  const reject = page.getByRole('button', { name: /^Reject:/ }).first();
  await reject.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Reject this action?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Reason')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(reject).toBeFocused();
});
