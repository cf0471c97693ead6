import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

import { expect, signUpApi, test, uniqueEmail } from './fixtures';

const LOGGED_OUT = ['/login', '/signup', '/forgot-password', '/reset-password?token=x', '/verify', '/invite?token=x'];
const LOGGED_IN = [
  '/',
  '/data',
  // A new organization: the brain pages show the next onboarding step instead of empty charts.
  '/brain/memory',
  '/brain/oracle',
  '/brain/curiosity',
  '/brain/runs',
  '/import',
  '/connections',
  '/connections/new',
  // A connection that does not exist: the page's not-found state.
  '/connections/00000000-0000-7000-8000-000000000000',
  '/settings/profile',
  '/settings/security',
  '/settings/sessions',
  '/settings/organization',
  '/settings/members',
  '/settings/roles',
  '/settings/api-keys',
  '/settings/webhooks',
  '/settings/audit',
  '/settings/billing',
  '/settings/usage',
  '/brain/evaluations',
  // Not an operator: the console's no-permission state (operator.spec.ts checks it as one).
  '/operator/tenants',
  '/no-such-page',
];

async function seriousViolations(page: Page, route: string): Promise<string[]> {
  await page.goto(route);
  await expect(page.locator('h1').first()).toBeVisible();
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${route}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`axe: logged-out pages, ${scheme}`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const found: string[] = [];
    for (const route of LOGGED_OUT) found.push(...(await seriousViolations(page, route)));
    expect(found).toEqual([]);
  });

  test(`axe: logged-in pages, ${scheme}`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.emulateMedia({ colorScheme: scheme });
    await signUpApi(page, uniqueEmail(`axe-${scheme}`), 'Axe Admin', 'Axe Co');
    const found: string[] = [];
    for (const route of LOGGED_IN) found.push(...(await seriousViolations(page, route)));
    expect(found).toEqual([]);
  });
}

test('a phone-sized screen (390 px) has no horizontal scroll and a menu button', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signUpApi(page, uniqueEmail('phone'), 'Phil Phone', 'Phone Co');
  for (const route of ['/', '/settings/members', '/settings/sessions', '/login']) {
    await page.goto(route);
    await expect(page.locator('h1').first()).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, route).toBeLessThanOrEqual(0);
  }
  await page.goto('/');
  await page.getByRole('button', { name: 'Open navigation' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
  await expect(page.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
});

test('keyboard: the skip link moves focus to the main content', async ({ page }) => {
  await page.goto('/login');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to main content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('#main')).toBeFocused();
});
