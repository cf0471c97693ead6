// Lighthouse on the login page (logged out) and the home page (logged in, with imported
// data) of the built web app, served by a real `brain serve` on a fresh SQLite database.
// Uses Debian's Chromium (CHROME_PATH, default /usr/bin/chromium); writes results.json.
// Run: npm --prefix benchmarks/web ci && npm --prefix benchmarks/web run lighthouse
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const chromePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';

function freePort() {
  return new Promise((ok) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function startBrain() {
  const varDir = mkdtempSync(join(tmpdir(), 'brain-lh-'));
  const port = await freePort();
  const env = {
    ...process.env,
    BRAIN_VAR_DIR: varDir,
    BRAIN_DATABASE_URL: `sqlite+aiosqlite:///${join(varDir, 'brain.db')}`,
    BRAIN_PUBLIC_URL: `http://127.0.0.1:${port}`,
    BRAIN_LOG_LEVEL: 'WARNING',
  };
  const brain = join(root, '.venv', 'bin', 'brain');
  const migrated = spawnSync(brain, ['migrate'], { cwd: root, env });
  if (migrated.status !== 0) throw new Error('brain migrate failed');
  const child = spawn(brain, ['serve', '--host', '127.0.0.1', '--port', String(port)], { cwd: root, env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i += 1) {
    try {
      if ((await fetch(`${url}/api/v1/healthz`)).ok) return { url, varDir, child };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('brain serve did not start');
}

/** A user with 90 days of daily metrics for 3 channels; returns the Cookie header. */
async function seed(url) {
  const register = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'lighthouse@example.com', password: 'Correct-Horse-Battery-42', name: 'Lee Lighthouse', organization_name: 'Lighthouse Co', locale: 'en' }),
  });
  const body = await register.json();
  const cookies = register.headers.getSetCookie().map((c) => c.split(';')[0]);
  const cookie = cookies.join('; ');
  const csrf = cookies.find((c) => c.startsWith('brain_csrf='))?.split('=')[1] ?? '';
  const lines = ['date,channel,campaign,creative,impressions,clicks,spend,conversions,revenue,platform'];
  const start = Date.UTC(2026, 7, 1);
  for (let d = 0; d < 90; d += 1) {
    const date = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
    for (const [name, platform, base] of [['Meta Ads', 'meta', 400], ['Google Search', 'google', 300], ['TikTok', 'tiktok', 150]]) {
      const spend = base + ((d * 37) % 50);
      lines.push(`${date},${name},,,${spend * 20},${spend},${spend},${Math.round(spend / 20)},${Math.round(spend * (2 + (d % 7) / 10))},${platform}`);
    }
  }
  const form = new FormData();
  form.append('kind', 'daily_metrics');
  form.append('file', new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), 'metrics.csv');
  const created = await fetch(`${url}/api/v1/organizations/${body.organization_id}/imports`, {
    method: 'POST',
    headers: { Cookie: cookie, 'X-CSRF-Token': csrf },
    body: form,
  });
  const job = await created.json();
  for (let i = 0; i < 120; i += 1) {
    const status = await (await fetch(`${url}/api/v1/organizations/${body.organization_id}/imports/${job.id}`, { headers: { Cookie: cookie } })).json();
    if (status.status === 'succeeded') return cookie;
    if (status.status === 'failed') throw new Error(`import failed: ${status.failure_reason}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('import did not finish');
}

async function audit(url, chrome, formFactor, cookie) {
  const flags = { port: chrome.port, output: 'json', logLevel: 'error', ...(cookie ? { extraHeaders: { Cookie: cookie } } : {}) };
  const result = await lighthouse(url, flags, formFactor === 'desktop' ? desktopConfig : undefined);
  const lhr = result.lhr;
  const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
  return {
    url: new URL(url).pathname,
    formFactor,
    performance: score('performance'),
    accessibility: score('accessibility'),
    bestPractices: score('best-practices'),
    firstContentfulPaintMs: Math.round(lhr.audits['first-contentful-paint'].numericValue),
    largestContentfulPaintMs: Math.round(lhr.audits['largest-contentful-paint'].numericValue),
    totalBlockingTimeMs: Math.round(lhr.audits['total-blocking-time'].numericValue),
    cumulativeLayoutShift: Number(lhr.audits['cumulative-layout-shift'].numericValue.toFixed(3)),
    failedAccessibilityAudits: Object.values(lhr.audits)
      .filter((a) => lhr.categories.accessibility.auditRefs.some((r) => r.id === a.id) && a.score === 0)
      .map((a) => a.id),
  };
}

const server = await startBrain();
const chrome = await chromeLauncher.launch({ chromePath, chromeFlags: ['--headless=new', '--no-sandbox'] });
try {
  const cookie = await seed(server.url);
  const results = [];
  for (const formFactor of ['desktop', 'mobile']) {
    results.push(await audit(`${server.url}/login`, chrome, formFactor));
    results.push(await audit(`${server.url}/`, chrome, formFactor, cookie));
  }
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    chromium: chromePath,
    results,
  };
  writeFileSync(join(here, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  console.table(results.map(({ failedAccessibilityAudits, ...rest }) => ({ ...rest, a11yFailures: failedAccessibilityAudits.join(',') })));
} finally {
  await chrome.kill();
  server.child.kill('SIGKILL');
  rmSync(server.varDir, { recursive: true, force: true });
}
