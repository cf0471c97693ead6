import { expect, logIn, logOut, signUpApi, test, totp, uniqueEmail } from './fixtures';

test('enrol an authenticator app, then log in with a TOTP code', async ({ page }) => {
  test.setTimeout(120_000);
  const email = uniqueEmail('mfa');
  await signUpApi(page, email, 'Mia Mfa', 'Mfa Co');
  await page.goto('/settings/security');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(page.getByRole('img', { name: 'QR code to add Brain to your authenticator app' })).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
  const first = totp(secret);
  await page.getByLabel('Code').fill(first);
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByTestId('recovery-codes');
  await expect(codes).toBeVisible();
  await expect(codes.locator('code')).toHaveCount(10);
  await page.getByRole('button', { name: 'I saved my codes' }).click();
  await expect(page.getByText('On: logins need a code')).toBeVisible();

  await logOut(page);
  await logIn(page, email);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  // A code is single use: wait for the authenticator's next code.
  let code = totp(secret);
  while (code === first) {
    await page.waitForTimeout(1000);
    code = totp(secret);
  }
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
});

test('revoke another session: that device is logged out', async ({ page, browser, baseURL }) => {
  const email = uniqueEmail('sessions');
  await signUpApi(page, email, 'Sam Sessions', 'Sessions Co');
  const other = await browser.newContext({ baseURL, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1' });
  const phone = await other.newPage();
  await logIn(phone, email);
  await expect(phone.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();

  await page.goto('/settings/sessions');
  const rows = page.getByTestId('session-row');
  await expect(rows).toHaveCount(2);
  const otherRow = rows.filter({ hasNot: page.getByText('This device') });
  await otherRow.getByRole('button', { name: /^Sign out/ }).click();
  await expect(page.getByText('Session signed out.')).toBeVisible();
  await expect(rows).toHaveCount(1);

  await phone.goto('/settings/profile');
  await expect(phone).toHaveURL(/\/login/);
  await other.close();
});

test('profile: change the name and the password', async ({ page }) => {
  const email = uniqueEmail('profile');
  await signUpApi(page, email, 'Pat Profile', 'Profile Co');
  await page.goto('/settings/profile');
  await page.getByLabel('Your name').fill('Pat Renamed');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Account menu' })).toContainText('Pat Renamed');
  await page.getByLabel('Current password').fill('wrong-password-123');
  await page.getByLabel('New password').fill('Brand-New-Passphrase-99');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('region', { name: 'Change password' }).getByRole('alert')).toBeVisible();
});
