/**
 * Passkeys end to end, with Chromium's virtual authenticator (DevTools protocol `WebAuthn`
 * domain): enrol a passkey on the security page, log out, sign in with the passkey alone, then
 * answer a password login's second step with it.
 *
 * WebAuthn needs a domain name as relying party ID (not an IP address), so this spec runs its
 * own `brain serve` whose public URL is `http://localhost:<port>` instead of the shared
 * server's `127.0.0.1` one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect, test, type Page } from '@playwright/test';

import { PASSWORD, logOut, uniqueEmail } from './fixtures';
import { ROOT, brainEnv, freePort, stopBrain } from './server';

let baseUrl = '';
let server: ChildProcess | null = null;
let varDir = '';

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`brain serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/api/v1/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`brain serve did not become healthy at ${url}`);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  varDir = mkdtempSync(join(tmpdir(), 'brain-e2e-passkeys-'));
  const port = await freePort();
  baseUrl = `http://localhost:${port}`;
  const env = { ...brainEnv(varDir, port), BRAIN_PUBLIC_URL: baseUrl };
  const brain = join(ROOT, '.venv', 'bin', 'brain');
  const migrated = spawnSync(brain, ['migrate'], { cwd: ROOT, env, encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(`brain migrate failed: ${migrated.stderr}`);
  const log = openSync(join(tmpdir(), `brain-e2e-passkeys-${port}.log`), 'w');
  server = spawn(brain, ['serve', '--host', '127.0.0.1', '--port', String(port)], { cwd: ROOT, env, stdio: ['ignore', log, log] });
  await waitForHealth(`http://127.0.0.1:${port}`, server);
});

test.afterAll(async () => {
  await stopBrain(server?.pid ?? 0, varDir);
});

/** A platform authenticator that keeps discoverable credentials and verifies the user. */
async function addVirtualAuthenticator(page: Page): Promise<{ credentials: () => Promise<unknown[]> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  };
}

test('enrol a passkey, log out, sign in with it, then use it as the second step', async ({ page }) => {
  test.setTimeout(120_000);
  const authenticator = await addVirtualAuthenticator(page);
  const email = uniqueEmail('passkey');
  const registered = await page.request.post(`${baseUrl}/api/v1/auth/register`, {
    data: { email, password: PASSWORD, name: 'Pia Passkey', organization_name: 'Passkey Co', locale: 'en' },
  });
  expect(registered.status()).toBe(201);

  await page.goto(`${baseUrl}/settings/security`);
  await expect(page.getByText('No passkeys yet', { exact: false })).toBeVisible();
  await page.getByLabel('Name of the new passkey').fill('E2E laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByText('Passkey added.')).toBeVisible();
  const row = page.getByTestId('passkey-row');
  await expect(row).toHaveCount(1);
  await expect(row.getByText('E2E laptop')).toBeVisible();
  const stored = (await authenticator.credentials()) as { isResidentCredential: boolean }[];
  expect(stored).toHaveLength(1);
  expect(stored[0]?.isResidentCredential).toBe(true);

  await logOut(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();

  // The passkey also answers the second step of a password login.
  await logOut(page);
  await page.getByLabel('Email').fill(email);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();

  await page.goto(`${baseUrl}/settings/security`);
  await expect(row.getByText('Last used', { exact: false })).toBeVisible();
});
