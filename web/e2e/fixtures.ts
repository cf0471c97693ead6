/** Shared fixtures: the server's URL as baseURL, unique users, the outbox, TOTP codes. */
import { expect, test as base, type Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';

import { readOutbox } from './server';

export const PASSWORD = 'Correct-Horse-Battery-42';

export const test = base.extend<object>({
  baseURL: async ({}, use) => {
    const url = process.env.BRAIN_E2E_URL;
    if (!url) throw new Error('BRAIN_E2E_URL is not set (global setup did not run)');
    await use(url);
  },
});
export { expect };

let counter = 0;
export function uniqueEmail(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.com`;
}

/** The action link of the newest email to `to` whose link path is `path` (e.g. `/verify`). */
export async function emailLink(to: string, path: string): Promise<string> {
  const varDir = process.env.BRAIN_E2E_VAR ?? '';
  const pattern = new RegExp(`https?://[^\\s"'<>]+${path.replace('/', '\\/')}\\?token=[^\\s"'<>]+`);
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const entry = readOutbox(varDir, to, `${path}?token=`);
    const match = entry?.text.match(pattern);
    if (match) return match[0];
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no ${path} email for ${to}`);
}

export function totp(secret: string): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret.replace(/\s+/g, '')), digits: 6, period: 30 }).generate();
}

/** Sign up through the UI; ends on the dashboard (FACE, the home page) with the verify banner. */
export async function signUp(page: Page, email: string, name = 'Ada Admin', org = 'Acme Analytics'): Promise<void> {
  await page.goto('/signup');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.getByLabel('Organization name').fill(org);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
}

/** Sign up through the API (faster, for tests about something else); the page is logged in. */
export async function signUpApi(page: Page, email: string, name = 'Ada Admin', org = 'Acme Analytics'): Promise<void> {
  const response = await page.request.post('/api/v1/auth/register', {
    data: { email, password: PASSWORD, name, organization_name: org, locale: 'en' },
  });
  expect(response.status()).toBe(201);
}

export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Account menu' }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Log in to Brain' })).toBeVisible();
}

/** A cookie-authenticated API call from the page's context (with the CSRF header). */
export async function apiPost(page: Page, path: string, data: unknown): Promise<unknown> {
  const cookies = await page.context().cookies();
  const csrf = cookies.find((c) => c.name === 'brain_csrf')?.value ?? '';
  const response = await page.request.post(path, { data, headers: { 'X-CSRF-Token': csrf } });
  expect(response.ok(), `${path}: ${response.status()} ${await response.text()}`).toBe(true);
  return response.json();
}

export async function currentOrgId(page: Page): Promise<string> {
  const me = (await (await page.request.get('/api/v1/auth/me')).json()) as { current_organization_id: string };
  return me.current_organization_id;
}
