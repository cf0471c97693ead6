import { emailLink, expect, logIn, logOut, PASSWORD, signUp, test, uniqueEmail } from './fixtures';

test('sign up, verify the email from the link, log out and log in again', async ({ page }) => {
  const email = uniqueEmail('founder');
  const csp: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) csp.push(message.text());
  });

  await signUp(page, email);
  await expect(page.getByText('Verify your email address')).toBeVisible();
  // The new organization has no data yet: the dashboard says what to do next.
  await expect(page.getByText('No data yet')).toBeVisible();

  const link = await emailLink(email, '/verify');
  await page.goto(link);
  await expect(page.getByText('Your email is verified.')).toBeVisible();
  await page.getByRole('link', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  await expect(page.getByText('Verify your email address')).toHaveCount(0);

  await logOut(page);
  await logIn(page, email, 'not-the-password-123');
  // The problem's title and detail, never raw JSON.
  const alert = page.getByRole('alert');
  await expect(alert).toBeVisible();
  await expect(alert).not.toContainText('{');

  await logIn(page, email, PASSWORD);
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  expect(csp).toEqual([]);
});

test('a logged-out visitor is sent to the login page and back after logging in', async ({ page }) => {
  const email = uniqueEmail('returning');
  await page.request.post('/api/v1/auth/register', {
    data: { email, password: PASSWORD, name: 'Rita Return', organization_name: 'Return Co', locale: 'en' },
  });
  await page.context().clearCookies();
  await page.goto('/settings/sessions');
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings%2Fsessions/);
  await page.getByLabel('Email').fill(email);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Sessions', level: 1 })).toBeVisible();
});

test('forgot password: the emailed link sets a new password', async ({ page }) => {
  const email = uniqueEmail('forgetful');
  await page.request.post('/api/v1/auth/register', {
    data: { email, password: PASSWORD, name: 'Fred Forget', organization_name: 'Forget Co', locale: 'en' },
  });
  await page.context().clearCookies();
  await page.goto('/forgot-password');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByText('a link is on its way')).toBeVisible();
  const link = await emailLink(email, '/reset-password');
  await page.goto(link);
  await page.getByLabel('New password').fill('Another-Long-Passphrase-77');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Your password is changed')).toBeVisible();
  await logIn(page, email, 'Another-Long-Passphrase-77');
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
});

test('Spanish: the language switch translates the login page', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('combobox', { name: 'Language' }).selectOption({ label: 'Español' });
  await expect(page.getByRole('heading', { name: 'Inicia sesión en Brain' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'es');
});
