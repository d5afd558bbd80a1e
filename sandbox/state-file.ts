import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where each running sandbox says where it is, so `npm run print`, `report --sandbox`, `qr-codes --sandbox`
 * and `setup --sandbox` can find it. Every sandbox has its own directory, named after its Functions host
 * port (`.sandbox/7071/`: running.json, local.settings.json, qr-codes/), so a second sandbox neither
 * overwrites nor deletes the first one's files. RELEASE_GATE_SANDBOX_DIR moves the root (tests running
 * beside a developer's sandbox use their own).
 */
export function sandboxRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.RELEASE_GATE_SANDBOX_DIR
    ? path.resolve(env.RELEASE_GATE_SANDBOX_DIR)
    : path.resolve(__dirname, '..', '.sandbox');
}

export interface RunningSandbox {
  simulatorUrl: string;
  hostUrl: string;
  hostPort: number;
  pid: number;
  startedAt: string;
  /** What decides: the policy file or module, as the user named it. */
  policy: string;
  /**
   * With `--lan`: the address the host and the simulator listen on. hostUrl and simulatorUrl are then
   * https://<address>:<port>, the public base URLs a phone reaches (QR codes and redirect URIs use them).
   */
  lan?: string;
  /** This sandbox's own directory (.sandbox/<host port>/). */
  directory: string;
  /** Its app settings in Core Tools' local.settings.json shape (for `func start` and the admin tools). */
  settingsFile: string;
  /** Its Functions host's master key (random per run), for `npm run setup -- --sandbox` (admin-level endpoints). */
  masterKey?: string;
}

export type SandboxAnnouncement = Omit<RunningSandbox, 'directory' | 'settingsFile'>;

function directoryFor(hostPort: number, env: NodeJS.ProcessEnv): string {
  return path.join(sandboxRoot(env), String(hostPort));
}

/** Announces a running sandbox and writes its settings; returns where. */
export function writeRunning(
  state: SandboxAnnouncement,
  settings: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): RunningSandbox {
  const directory = directoryFor(state.hostPort, env);
  mkdirSync(directory, { recursive: true });
  const running: RunningSandbox = {
    ...state,
    directory,
    settingsFile: path.join(directory, 'local.settings.json'),
  };
  writeFileSync(
    running.settingsFile,
    JSON.stringify({ IsEncrypted: false, Values: { FUNCTIONS_WORKER_RUNTIME: 'node', ...settings } }, null, 2),
  );
  writeFileSync(path.join(directory, 'running.json'), JSON.stringify(running, null, 2));
  return running;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every sandbox that is running now (a directory whose process has gone is skipped). */
export function listRunning(env: NodeJS.ProcessEnv = process.env): RunningSandbox[] {
  let entries: string[];
  try {
    entries = readdirSync(sandboxRoot(env));
  } catch {
    return []; // no sandbox has ever run here
  }
  const found: RunningSandbox[] = [];
  for (const entry of entries.filter((name) => /^\d+$/.test(name))) {
    try {
      const state = JSON.parse(
        readFileSync(path.join(sandboxRoot(env), entry, 'running.json'), 'utf8'),
      ) as RunningSandbox;
      if (alive(state.pid)) found.push(state);
    } catch {
      // a directory without running.json: that sandbox stopped
    }
  }
  return found.sort((a, b) => a.hostPort - b.hostPort);
}

/**
 * The sandbox a command should talk to: the one with `hostPort` when given, else the only one running.
 * Throws a message that says what to do when none, or several, are running.
 */
export function readRunning(hostPort?: number, env: NodeJS.ProcessEnv = process.env): RunningSandbox {
  const running = listRunning(env);
  if (hostPort !== undefined) {
    const found = running.find((s) => s.hostPort === hostPort);
    if (found) return found;
    throw new Error(
      running.length === 0
        ? 'No sandbox is running: start one with `npm run sandbox`.'
        : `No sandbox runs on port ${hostPort}; running: ${running.map((s) => s.hostPort).join(', ')}.`,
    );
  }
  if (running.length === 1) return running[0]!;
  if (running.length === 0) throw new Error('No sandbox is running: start one with `npm run sandbox`.');
  throw new Error(
    `${running.length} sandboxes are running (ports ${running.map((s) => s.hostPort).join(', ')}): pass --port to pick one.`,
  );
}

/** The running sandbox's app settings (storage connection, audit table, …). */
export function readSandboxSettings(state: RunningSandbox): Record<string, string> {
  return (JSON.parse(readFileSync(state.settingsFile, 'utf8')) as { Values: Record<string, string> }).Values;
}

/** Removes this sandbox's announcement and settings (its other files, e.g. QR codes, stay). */
export function clearRunning(state: RunningSandbox): void {
  rmSync(path.join(state.directory, 'running.json'), { force: true });
  rmSync(state.settingsFile, { force: true });
}
