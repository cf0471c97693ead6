/**
 * Outbound webhooks in a real browser: an owner adds an endpoint pointing at a receiver this
 * test runs on loopback (allowed in development), copies the `whsec_` secret shown once,
 * sends a test event, and sees the delivery in the log — and the receiver got it, signed
 * with that secret (Standard Webhooks). Both pages are checked with axe-core.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect, signUpApi, test, uniqueEmail } from './fixtures';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let port = 0;
const received: Received[] = [];

test.beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('received');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function seriousViolations(page: Page): Promise<string[]> {
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

/** A Standard Webhooks signature check, done independently of the backend's code. */
function signedWith(secret: string, message: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const id = String(message.headers['webhook-id'] ?? '');
  const timestamp = String(message.headers['webhook-timestamp'] ?? '');
  const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${message.body}`).digest('base64'));
  return String(message.headers['webhook-signature'] ?? '')
    .split(' ')
    .map((part) => Buffer.from(part.split(',')[1] ?? ''))
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
}

test('add an endpoint, send a test event, see the delivery in the log', async ({ page }) => {
  test.setTimeout(120_000);
  await signUpApi(page, uniqueEmail('hooks'), 'Hook Owner', 'Hook Co');
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
  await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible();
  await expect(page.getByText(/No endpoint yet/)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  const url = `http://127.0.0.1:${port}/brain-hook`;
  await page.getByRole('textbox', { name: /Endpoint URL/ }).fill(url);
  await page.getByRole('textbox', { name: /Description/ }).fill('Loopback receiver');
  await expect(page.getByRole('checkbox', { name: /webhook\.test/ })).toBeChecked();
  await page.getByRole('checkbox', { name: /import\.completed/ }).check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();

  // The secret, once.
  const dialog = page.getByRole('dialog', { name: 'Endpoint added: copy its signing secret' });
  const secret = ((await dialog.getByTestId('webhook-secret').textContent()) ?? '').trim();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
  await expect(dialog.getByRole('button', { name: 'Copy' })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'I stored the secret' }).click();

  // The endpoint's page: nothing delivered yet; send a test event.
  await expect(page.getByRole('heading', { name: 'Loopback receiver', level: 1 })).toBeVisible();
  await expect(page.getByText(url, { exact: true })).toBeVisible();
  await expect(page.getByText(/Nothing delivered yet/)).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);
  await page.getByRole('button', { name: 'Send a test event' }).click();

  const row = page.getByTestId('delivery-row').first();
  await expect(row).toBeVisible({ timeout: 45_000 });
  await expect(row).toContainText('webhook.test');
  await expect(row).toContainText('200');
  await expect(row).toContainText('Delivered');
  await expect(page.getByTestId('delivery-summary')).toContainText('100% delivered');
  expect(await seriousViolations(page)).toEqual([]);

  // The receiver got the event, signed with the secret that was shown.
  const message = received.find((m) => m.url === '/brain-hook' && m.body.includes('webhook.test'));
  expect(message?.method).toBe('POST');
  expect(JSON.parse(message?.body ?? '{}')).toMatchObject({ type: 'webhook.test' });
  expect(signedWith(secret, message as Received)).toBe(true);

  // Back on the list, the endpoint is enabled.
  await page.getByRole('link', { name: 'All webhooks' }).click();
  const listed = page.getByRole('row', { name: new RegExp(url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
  await expect(listed).toContainText('Enabled');
  await expect(listed).toContainText('4 event type(s)');
});
