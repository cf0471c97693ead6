/**
 * Starts `brain serve` for the end-to-end tests: a fresh SQLite database in a temporary
 * directory (also the outbox, where the "sent" emails land as JSON files), a free port, and
 * a wait for /api/v1/healthz. Used by the Playwright global setup.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BrainServer {
  url: string;
  varDir: string;
  process: ChildProcess;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export function brainEnv(varDir: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BRAIN_ENV: 'development',
    BRAIN_LOG_LEVEL: 'WARNING',
    BRAIN_VAR_DIR: varDir,
    BRAIN_DATABASE_URL: `sqlite+aiosqlite:///${join(varDir, 'brain.db')}`,
    BRAIN_EMAIL_BACKEND: 'outbox',
    BRAIN_PUBLIC_URL: `http://127.0.0.1:${port}`,
    BRAIN_HOST: '127.0.0.1',
    BRAIN_PORT: String(port),
    BRAIN_SECRET_KEY: 'e2e-secret-key-not-for-production-0123456789',
    // Every test logs in from 127.0.0.1: the per-IP login limit must not trip the suite.
    BRAIN_LOGIN_IP_PER_MINUTE: '10000',
    BRAIN_RATE_LIMIT_PER_MINUTE: '0',
  };
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`brain serve exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/api/v1/healthz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`brain serve did not become healthy at ${url}`);
}

export async function startBrain(): Promise<BrainServer> {
  const varDir = mkdtempSync(join(tmpdir(), 'brain-e2e-'));
  const port = await freePort();
  const env = brainEnv(varDir, port);
  const brain = join(ROOT, '.venv', 'bin', 'brain');
  const migrated = spawnSync(brain, ['migrate'], { cwd: ROOT, env, encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(`brain migrate failed: ${migrated.stderr}`);
  // The server's log goes to a file outside the test output (Playwright owns test-results/).
  const log = openSync(join(tmpdir(), `brain-e2e-serve-${port}.log`), 'w');
  const child = spawn(brain, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, 60_000);
  return { url, varDir, process: child };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stop the server (and wait for it: its worker writes into varDir until it exits). */
export async function stopBrain(pid: number, varDir: string): Promise<void> {
  if (pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(varDir, { recursive: true, force: true });
}

interface OutboxEntry {
  id: string;
  to: string[];
  subject: string;
  text: string;
  category?: string | null;
}

/** The newest email to `address` in the outbox whose text contains `needle`, if any. */
export function readOutbox(varDir: string, address: string, needle: string): OutboxEntry | undefined {
  const dir = join(varDir, 'outbox');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return undefined;
  }
  const entries = files
    .sort()
    .reverse()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as OutboxEntry);
  return entries.find((e) => e.to.some((to) => to.toLowerCase() === address.toLowerCase()) && e.text.includes(needle));
}
