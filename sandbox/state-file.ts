import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a running sandbox says where it is, so `npm run print` can find it. RELEASE_GATE_SANDBOX_STATE
 * moves it (tests running beside a developer's sandbox use their own).
 */
const FILE = process.env.RELEASE_GATE_SANDBOX_STATE ?? path.resolve(__dirname, '..', '.sandbox', 'running.json');

export interface RunningSandbox {
  simulatorUrl: string;
  hostUrl: string;
  pid: number;
}

export function writeRunning(state: RunningSandbox): void {
  mkdirSync(path.dirname(FILE), { recursive: true });
  writeFileSync(FILE, JSON.stringify(state, null, 2));
}

export function readRunning(): RunningSandbox | undefined {
  try {
    const state = JSON.parse(readFileSync(FILE, 'utf8')) as RunningSandbox;
    process.kill(state.pid, 0); // still alive?
    return state;
  } catch {
    return undefined;
  }
}

export function clearRunning(): void {
  rmSync(FILE, { force: true });
}

/** The running sandbox's app settings, in Core Tools' local.settings.json shape (for `func start`). */
export function writeLocalSettings(settings: Record<string, string>): string {
  const file = path.resolve(__dirname, '..', '.sandbox', 'local.settings.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({ IsEncrypted: false, Values: { FUNCTIONS_WORKER_RUNTIME: 'node', ...settings } }, null, 2),
  );
  return file;
}
