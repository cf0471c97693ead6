// Lighthouse on the login page (logged out), the data overview (logged in, with imported
// data) and the FACE dashboard (the home page, on the seeded demo tenant after a brain run) of
// the built web app, served by a real `brain serve` / `brain demo` on fresh SQLite databases.
// Uses Debian's Chromium (CHROME_PATH, default /usr/bin/chromium); writes results.json.
// Run: npm --prefix benchmarks/web ci && npm --prefix benchmarks/web run lighthouse
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The FACE dashboard on the real demo: `brain demo` (the README's run command: migrate, seed
 * the beauty tenant, serve) on its own fresh database; log in as the printed demo owner and
 * run the brain once, so FACE renders its full story. Returns the server and the Cookie.
 */
async function startDemo() {
  const varDir = mkdtempSync(join(tmpdir(), 'brain-lh-demo-'));
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
  const child = spawn(join(root, '.venv', 'bin', 'brain'), ['demo', '--host', '127.0.0.1', '--port', String(port)], { cwd: root, env, stdio: ['ignore', 'pipe', 'ignore'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk.toString(); });
  for (let i = 0; i < 1200; i += 1) {
    const login = output.match(/Log in: (\S+) \/ (\S+)/);
    const tenant = output.match(/Tenant: .* id ([0-9a-f-]{36})/);
    if (login && tenant) {
      try {
        if ((await fetch(`${url}/api/v1/healthz`)).ok) {
          return { url, varDir, child, email: login[1], password: login[2], organizationId: tenant[1] };
        }
      } catch {
        // not listening yet
      }
    }
    if (child.exitCode !== null) throw new Error(`brain demo exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('brain demo did not start within 5 minutes');
}

async function runBrain(demo) {
  const login = await fetch(`${demo.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: demo.email, password: demo.password }),
  });
  if (!login.ok) throw new Error(`demo login failed: ${login.status}`);
  const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0]);
  const cookie = cookies.join('; ');
  const csrf = cookies.find((c) => c.startsWith('brain_csrf='))?.split('=')[1] ?? '';
  const base = `${demo.url}/api/v1/organizations/${demo.organizationId}/brain/runs`;
  const started = await fetch(base, { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, body: '{}' });
  if (!started.ok) throw new Error(`brain run refused: ${started.status} ${await started.text()}`);
  const run = await started.json();
  for (let i = 0; i < 600; i += 1) {
    const status = await (await fetch(`${base}/${run.id}`, { headers: { Cookie: cookie } })).json();
    if (status.status === 'succeeded') return cookie;
    if (status.status === 'failed') throw new Error(`brain run failed: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('brain run did not finish');
}

async function audit(url, chrome, formFactor, cookie, { warm = false } = {}) {
  // warm: keep the browser cache from the previous pass (hashed assets, API responses with
  // ETags) — what a returning user sees.
  const flags = { port: chrome.port, output: 'json', logLevel: 'error', disableStorageReset: warm, ...(cookie ? { extraHeaders: { Cookie: cookie } } : {}) };
  const result = await lighthouse(url, flags, formFactor === 'desktop' ? desktopConfig : undefined);
  const lhr = result.lhr;
  const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
  return {
    lhr,
    url: new URL(url).pathname,
    formFactor: warm ? `${formFactor} (warm cache)` : formFactor,
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

const FACE_PATH = '/';
// A partial run for iterating (the default is the full run, which writes results.json):
//   LH_PAGES=login,data,face,face-warm  LH_PRESETS=desktop,mobile
// LH_RUNS=3 audits each page 3 times and keeps the median by score (a full run records it)
//   LH_LHR_DIR=/tmp/lhr (keep each audit's full Lighthouse JSON there)
const list = (name, all) => (process.env[name] ? process.env[name].split(',').map((s) => s.trim()).filter(Boolean) : all);
const pages = list('LH_PAGES', ['login', 'data', 'face', 'face-warm']);
const presets = list('LH_PRESETS', ['desktop', 'mobile']);
const runs = Math.max(1, Number(process.env.LH_RUNS ?? 1));
const lhrDir = process.env.LH_LHR_DIR;
const partial = Boolean(process.env.LH_PAGES || process.env.LH_PRESETS);
const needsServer = pages.includes('login') || pages.includes('data');
const needsDemo = pages.includes('face') || pages.includes('face-warm');
const server = needsServer ? await startBrain() : undefined;
const demo = needsDemo ? await startDemo() : undefined;
const chrome = await chromeLauncher.launch({ chromePath, chromeFlags: ['--headless=new', '--no-sandbox'] });
try {
  const cookie = pages.includes('data') ? await seed(server.url) : undefined;
  const demoCookie = needsDemo ? await runBrain(demo) : undefined;
  if (lhrDir) mkdirSync(lhrDir, { recursive: true });
  /** The audit `runs` times; the run with the median performance score. */
  const measure = async (name, ...args) => {
    const all = [];
    for (let i = 0; i < runs; i += 1) {
      const { lhr, ...row } = await audit(...args);
      if (lhrDir) writeFileSync(join(lhrDir, `${name}-${row.formFactor.replace(/\W+/g, '-')}-${i}.json`), JSON.stringify(lhr));
      all.push(row);
    }
    all.sort((a, b) => a.performance - b.performance);
    return all[Math.floor(all.length / 2)];
  };
  const results = [];
  for (const formFactor of presets) {
    if (pages.includes('login')) results.push(await measure('login', `${server.url}/login`, chrome, formFactor));
    if (pages.includes('data')) results.push(await measure('data', `${server.url}/data`, chrome, formFactor, cookie));
    if (pages.includes('face')) results.push(await measure('face', `${demo.url}${FACE_PATH}`, chrome, formFactor, demoCookie));
  }
  // FACE again from a warm cache: the "fully rendered in < 1 s" measurement (LCP).
  if (pages.includes('face-warm')) results.push(await measure('face', `${demo.url}${FACE_PATH}`, chrome, 'desktop', demoCookie, { warm: true }));
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    chromium: chromePath,
    runsPerAudit: runs,
    results,
  };
  // Only the full run is the record; a partial one prints its table.
  if (!partial) writeFileSync(join(here, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  console.table(results.map(({ failedAccessibilityAudits, ...rest }) => ({ ...rest, a11yFailures: failedAccessibilityAudits.join(',') })));
} finally {
  await chrome.kill();
  for (const started of [server, demo]) {
    if (!started) continue;
    started.child.kill('SIGKILL');
    rmSync(started.varDir, { recursive: true, force: true });
  }
}
