/**
 * The main flow in a real browser, from nothing to the first accepted recommendation: sign up
 * → verify the email (the link from the outbox) → the onboarding checklist on the dashboard
 * and in the header → sandbox data through the Connect Platforms wizard (Meta Ads, sandbox)
 * → the first sync finishes → the brain runs from the dashboard with live progress → FACE
 * tells the demo story (KPI bar, exactly 3 top actions, charts) → an action is accepted
 * (shown at once, before the server answers) → the checklist counts it; inviting a teammate
 * completes the last step and the checklist goes away. Then: hiding the checklist.
 *
 * The sandbox connection is made through the wizard's UI (`/connections/new`), not the API.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

import { currentOrgId, emailLink, expect, signUp, signUpApi, test, uniqueEmail } from './fixtures';

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

test.describe.configure({ mode: 'serial' });

test('sign up, verify, sandbox data, sync, run the brain, read the story, accept an action, invite', async ({ page }) => {
  test.setTimeout(480_000);
  const email = uniqueEmail('onboarding');
  await signUp(page, email, 'Olive Onboard', 'Onboard Co');

  // The home page is the dashboard: the checklist, and no empty charts but the next step.
  const checklist = page.getByRole('region', { name: 'Get started' });
  await expect(checklist).toBeVisible();
  await expect(checklist.getByTestId('onboarding-progress')).toHaveText('0 of 5 steps done');
  await expect(page.getByRole('button', { name: 'Get started 0 of 5' })).toBeVisible();
  await expect(page.getByText('No data yet')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Connect a platform' }).first()).toBeVisible();

  // Verify the email with the link from the outbox.
  await page.goto(await emailLink(email, '/verify'));
  await expect(page.getByText('Your email is verified.')).toBeVisible();
  await page.getByRole('link', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await expect(checklist.getByTestId('onboarding-step-verify_email')).toHaveAttribute('data-done', 'true');
  await expect(checklist.getByTestId('onboarding-progress')).toHaveText('1 of 5 steps done');

  // The header's progress opens the checklist; its "connect" step deep-links to the wizard.
  const progress = page.getByRole('button', { name: 'Get started 1 of 5' });
  await progress.click();
  const dialog = page.getByRole('dialog', { name: 'Get started' });
  await expect(dialog).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(progress).toBeFocused();
  await progress.click();
  await dialog.getByTestId('onboarding-step-connect_data').getByRole('link', { name: 'Connect a platform' }).click();
  await expect(page).toHaveURL(/\/connections\/new$/);

  // Start with sandbox data: Meta Ads, sandbox, access checks, streams and the first sync.
  await page.getByRole('button', { name: 'Connect Meta Ads' }).click();
  await page.getByRole('button', { name: 'Use sandbox data' }).click();
  await page.getByRole('button', { name: 'Continue', exact: true }).click({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Start the first sync' }).click();
  await expect(page.getByTestId('sync-progress')).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  // The checklist follows: connected, synced (and, soon after, the brain run the sync asked for).
  await expect(page.getByRole('button', { name: /^Get started [34] of 5$/ })).toBeVisible({ timeout: 30_000 });

  // To the dashboard. The sync asked for a brain run: its story arrives first.
  await page.getByRole('region', { name: 'What next' }).getByRole('link', { name: 'Go to the dashboard' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  const narrative = page.getByTestId('face-narrative');
  await expect(narrative).toBeVisible({ timeout: 300_000 });

  // Run the brain from the dashboard and follow it live.
  const run = page.getByRole('button', { name: 'Run the brain now' });
  await expect(run).toBeEnabled({ timeout: 60_000 });
  await run.click();
  const live = page.getByRole('group', { name: 'Brain run progress' });
  await expect(live).toBeVisible({ timeout: 30_000 });
  // One bar per module (a pending module's bar is empty, hence attached rather than visible).
  await expect(live.getByRole('progressbar').first()).toBeAttached();
  await expect(live).toHaveCount(0, { timeout: 300_000 });
  await expect(page.getByText('The brain run finished').first()).toBeVisible();

  // The demo story: KPI bar, what changed, exactly 3 top actions, charts.
  await expect(page.getByRole('list', { name: 'Key figures' }).getByRole('listitem').first()).toBeVisible();
  await expect(narrative).toContainText('Meta Ads');
  await expect(narrative).toContainText('C12');
  const actions = page.getByRole('region', { name: 'Top 3 actions' }).getByRole('article');
  await expect(actions).toHaveCount(3);
  // Charts are drawn when they come near the viewport: scroll to them as a reader would.
  const spend = page.getByRole('region', { name: 'Spend by channel' });
  await spend.scrollIntoViewIfNeeded();
  await expect(spend.locator('.recharts-surface').first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('region', { name: 'ROAS trend' })).toBeVisible();
  await expect(checklist.getByTestId('onboarding-step-first_brain_run')).toHaveAttribute('data-done', 'true', { timeout: 30_000 });
  await expect(checklist.getByTestId('onboarding-progress')).toHaveText('4 of 5 steps done');
  expect(await seriousViolations(page)).toEqual([]);

  // Accept an action: shown as accepted while the server has not answered yet.
  const card = page.getByRole('article', { name: (await actions.first().getAttribute('aria-label')) ?? '' });
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/actions/*/accept', async (route) => {
    await held;
    await route.continue();
  });
  await card.getByRole('button', { name: /^Accept:/ }).click();
  await expect(card.getByText('Accepted', { exact: true })).toBeVisible();
  release();
  await expect(page.getByText(/^Accepted: /)).toBeVisible();
  await page.unroute('**/actions/*/accept');
  await expect(checklist.getByTestId('onboarding-progress')).toHaveText('4 of 5 steps done');
  await expect(checklist.getByTestId('onboarding-step-invite_teammate').getByText('Next', { exact: true })).toBeVisible();

  // The last step: invite a teammate, from the checklist's link.
  await checklist.getByRole('link', { name: 'Invite people' }).click();
  await expect(page.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
  const teammate = uniqueEmail('teammate');
  await page.getByLabel('Email').fill(teammate);
  await page.getByRole('button', { name: 'Invite a teammate' }).click();
  await expect(page.getByText(`Invitation sent to ${teammate}`)).toBeVisible();
  // Every step done: the checklist leaves the header and the dashboard.
  await expect(page.getByTestId('onboarding-progress-button')).toHaveCount(0, { timeout: 30_000 });
  const state = await page.request.get(`/api/v1/organizations/${await currentOrgId(page)}/onboarding`);
  expect(await state.json()).toMatchObject({ completed: true, next_step: null });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(narrative).toBeVisible();
  await expect(checklist).toHaveCount(0);
});

test('a member hides the checklist, and it stays hidden', async ({ page }) => {
  await signUpApi(page, uniqueEmail('hider'), 'Hugo Hider', 'Hide Co');
  await page.goto('/settings/profile');
  await page.getByRole('button', { name: /^Get started \d of 5$/ }).click();
  await page.getByRole('dialog', { name: 'Get started' }).getByRole('button', { name: 'Hide the checklist' }).click();
  await expect(page.getByText('Checklist hidden.', { exact: false })).toBeVisible();
  await expect(page.getByTestId('onboarding-progress-button')).toHaveCount(0);
  // The button that opened it is gone: focus continues from the page, not from nowhere.
  await expect(page.locator('#main')).toBeFocused();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Get started' })).toHaveCount(0);
  await expect(page.getByTestId('onboarding-progress-button')).toHaveCount(0);
  // The data guard still says what to do next.
  await expect(page.getByText('No data yet')).toBeVisible();
});
