import { startBrain, stopBrain } from './server';

/** One server for the whole run; tests read its URL and outbox from the environment. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const server = await startBrain();
  process.env.BRAIN_E2E_URL = server.url;
  process.env.BRAIN_E2E_VAR = server.varDir;
  const pid = server.process.pid ?? 0;
  return () => stopBrain(pid, server.varDir);
}
