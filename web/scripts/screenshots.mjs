// Screenshots of the main pages for docs/screenshots/ (linked from the README), taken on the
// real demo: `brain demo` on a fresh SQLite database, logged in as the printed demo owner
// (made a platform operator for the operator console), after one brain run.
// Uses Debian's Chromium (CHROME_PATH, default /usr/bin/chromium); nothing is downloaded.
// Run: npm --prefix web run screenshots   (needs .venv and a built web/dist: scripts/bootstrap)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from '@playwright/test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'docs', 'screenshots');
const brainBin = join(root, '.venv', 'bin', 'brain');

// [file name, path, what must be visible before the picture is taken]
const PAGES = [
  ['face', '/', { role: 'heading', level: 1 }],
  ['memory', '/brain/memory', { role: 'heading', level: 1 }],
  ['oracle', '/brain/oracle', { role: 'heading', level: 1 }],
  ['curiosity', '/brain/curiosity', { role: 'heading', level: 1 }],
  ['runs', '/brain/runs', { role: 'heading', level: 1 }],
  ['evaluations', '/brain/evaluations', { role: 'heading', level: 1 }],
  ['data-overview', '/data', { role: 'heading', level: 1 }],
  ['connections', '/connections', { role: 'heading', level: 1 }],
  ['connect-wizard', '/connections/new', { role: 'heading', level: 1 }],
  ['billing', '/settings/billing', { role: 'heading', level: 1 }],
  ['webhooks', '/settings/webhooks', { role: 'heading', level: 1 }],
  ['members', '/settings/members', { role: 'heading', level: 1 }],
  ['security', '/settings/security', { role: 'heading', level: 1 }],
  ['usage', '/settings/usage', { role: 'heading', level: 1 }],
  ['operator', '/operator/tenants', { role: 'heading', level: 1 }],
  ['operator-costs', '/operator/costs', { role: 'heading', level: 1 }],
];

function freePort() {
  return new Promise((ok) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function startDemo() {
  const varDir = mkdtempSync(join(tmpdir(), 'brain-shots-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    NO_COLOR: '1',
    COLUMNS: '250',
    BRAIN_VAR_DIR: varDir,
    BRAIN_DATABASE_URL: `sqlite+aiosqlite:///${join(varDir, 'brain.db')}`,
    BRAIN_PUBLIC_URL: url,
    BRAIN_LOG_LEVEL: 'WARNING',
  };
  const child = spawn(brainBin, ['demo', '--host', '127.0.0.1', '--port', String(port)], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk.toString(); });
  for (let i = 0; i < 1200; i += 1) {
    const login = output.match(/Log in: (\S+) \/ (\S+)/);
    if (login) {
      try {
        if ((await fetch(`${url}/api/v1/healthz`)).ok) return { url, env, varDir, child, email: login[1], password: login[2] };
      } catch {
        // not listening yet
      }
    }
    if (child.exitCode !== null) throw new Error(`brain demo exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('brain demo did not start within 5 minutes');
}

const demo = await startDemo();
const made = spawnSync(brainBin, ['operators', 'add', demo.email], { cwd: root, env: demo.env, encoding: 'utf8' });
if (made.status !== 0) console.warn(`could not make the demo owner an operator: ${made.stderr}`);
const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  mkdirSync(outDir, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: demo.url, reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto('/login');
  await page.screenshot({ path: join(outDir, 'login.png') });
  await page.getByLabel('Email').fill(demo.email);
  await page.locator('input[type=password]').first().fill(demo.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));

  // One brain run so every brain page has its story (the button on FACE, with its live
  // progress), then the checklist is hidden so FACE shows the story first.
  await page.goto('/');
  await page.getByRole('button', { name: 'Run the brain now' }).first().click();
  await page.getByRole('heading', { name: 'What changed' }).waitFor({ timeout: 600_000 });
  const hide = page.getByRole('button', { name: 'Hide the checklist' });
  if (await hide.isVisible().catch(() => false)) await hide.click();
  for (const [name, path, ready] of PAGES) {
    await page.goto(path);
    await page.getByRole(ready.role, { level: ready.level }).first().waitFor({ timeout: 30_000 });
    // Let lazy chunks, queries and charts settle.
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: false });
    console.log(`docs/screenshots/${name}.png  ${path}`);
  }
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, baseURL: demo.url, storageState: await context.storageState(), reducedMotion: 'reduce' });
  const phonePage = await phone.newPage();
  await phonePage.goto('/');
  await phonePage.getByRole('heading', { level: 1 }).first().waitFor();
  await phonePage.waitForLoadState('networkidle');
  await phonePage.screenshot({ path: join(outDir, 'face-phone.png') });
  console.log('docs/screenshots/face-phone.png  / at 390 px');
} finally {
  await browser.close();
  demo.child.kill('SIGKILL');
  rmSync(demo.varDir, { recursive: true, force: true });
}
