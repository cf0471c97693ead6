import { apiPost, currentOrgId, emailLink, expect, PASSWORD, signUpApi, test, uniqueEmail } from './fixtures';

test('an admin invites a teammate, who accepts and, as a viewer, sees no admin settings', async ({ page, browser, baseURL }) => {
  const admin = uniqueEmail('admin');
  const teammate = uniqueEmail('teammate');
  await signUpApi(page, admin, 'Ada Admin', 'Team Co');

  await page.goto('/settings/members');
  await expect(page.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
  await expect(page.getByText('You are the only member')).toBeVisible();
  await page.getByLabel('Email').fill(teammate);
  await page.getByRole('button', { name: 'Invite a teammate' }).click();
  await expect(page.getByText(`Invitation sent to ${teammate}`)).toBeVisible();
  await expect(page.getByRole('cell', { name: teammate, exact: true })).toBeVisible();

  const link = await emailLink(teammate, '/invite');
  const context = await browser.newContext({ baseURL });
  const invited = await context.newPage();
  await invited.goto(link);
  await invited.getByLabel('Your name').fill('Vic Viewer');
  await invited.locator('input[type=password]').fill(PASSWORD);
  await invited.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(invited.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();

  // The viewer's navigation has no admin settings, and their pages say so when typed in.
  const nav = invited.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Members' })).toBeVisible();
  for (const hidden of ['Settings', 'Roles', 'API keys', 'Audit log', 'Import CSV']) {
    await expect(nav.getByRole('link', { name: hidden })).toHaveCount(0);
  }
  await invited.goto('/settings/api-keys');
  await expect(invited.getByRole('heading', { name: 'You do not have permission to see this.' })).toBeVisible();
  await invited.goto('/settings/members');
  await expect(invited.getByRole('button', { name: 'Invite a teammate' })).toHaveCount(0);
  await expect(invited.getByTestId('member-row')).toHaveCount(2);
  await context.close();

  // The admin now sees two members.
  await page.reload();
  await expect(page.getByTestId('member-row')).toHaveCount(2);
});

test('an admin creates an API key that is shown once, then revokes it', async ({ page }) => {
  await signUpApi(page, uniqueEmail('keys'), 'Kim Keys', 'Keys Co');
  await page.goto('/settings/api-keys');
  await expect(page.getByText('No API keys yet')).toBeVisible();
  await page.getByLabel('Name').fill('CI export');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByTestId('new-api-key')).toContainText('brn_');
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('new-api-key')).toHaveCount(0);
  await page.getByRole('button', { name: 'Revoke: CI export' }).click();
  await expect(page.getByText('Key revoked.')).toBeVisible();
});

test('a member of two organizations accepts an invite while logged in and switches between them', async ({ page, browser, baseURL }) => {
  const ada = uniqueEmail('ada');
  await signUpApi(page, ada, 'Ada Two', 'First Org');

  const otherContext = await browser.newContext({ baseURL });
  const other = await otherContext.newPage();
  await signUpApi(other, uniqueEmail('bob'), 'Bob Other', 'Second Org');
  await apiPost(other, `/api/v1/organizations/${await currentOrgId(other)}/invites`, { email: ada, role: 'analyst' });
  await otherContext.close();

  await page.goto(await emailLink(ada, '/invite'));
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(page.getByText('You joined Second Org.')).toBeVisible();
  const switcher = page.getByRole('combobox', { name: 'Organization' });
  await expect(switcher.locator('option:checked')).toHaveText('Second Org');
  // An analyst in Second Org: no organization settings.
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' })).toHaveCount(0);

  await switcher.selectOption({ label: 'First Org' });
  await expect(page.getByText('Switched to First Org')).toBeVisible();
  await expect(switcher.locator('option:checked')).toHaveText('First Org');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' })).toBeVisible();
});
