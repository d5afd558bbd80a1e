import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../admin/cli/cli';
import { COMMANDS } from '../../scripts/commands';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { clearRunning, writeRunning, type RunningSandbox } from '../../sandbox/state-file';
import { recordingTerminal } from '../support/recording-terminal';

/**
 * The README's command examples run as written: every `npm run <name> -- …` line of its ```sh blocks,
 * in-process through scripts/commands.ts, against one sandbox this test starts (announced in a temporary
 * RELEASE_GATE_SANDBOX_DIR, as `npm run sandbox` announces itself). Each must exit 0, or the code its
 * comment documents (`# exit 3: …`). Run it with the sandbox's dev CA: `npm run -s jest -- <this file>`.
 */

const root = path.resolve(__dirname, '../..');

/** Examples not run here, each with the reason. */
const NOT_RUN: { when: (example: Example) => boolean; reason: string }[] = [
  {
    when: (e) => e.name === 'sandbox',
    reason: 'runs until Ctrl-C; this test starts its own sandbox (test/e2e/sandbox-commands.test.ts runs it)',
  },
  { when: (e) => e.name === 'demo', reason: 'starts a sandbox of its own; test/e2e/sandbox-commands.test.ts runs it' },
  { when: (e) => e.name === 'bench', reason: 'minutes of load against a sandbox of its own; not an example to rerun' },
  { when: (e) => e.name === 'package', reason: 'builds the deployment zip (a full build); test/integration covers it' },
  {
    when: (e) =>
      (e.name === 'setup' || e.name === 'doctor') && !e.args.includes('--sandbox') && !e.args.includes('--help'),
    reason: 'needs a real tenant and deployment (an admin signs in to Entra ID)',
  },
  {
    when: (e) => /<[^>]+>/.test(e.text),
    reason: 'has a placeholder for the reader to fill in',
  },
];

/** Commands that need no sandbox: the test starts one only when an example of another command runs. */
const OFFLINE = new Set(['policy']);

interface Example {
  /** The README line it came from, as written (without its comment). */
  text: string;
  line: number;
  name: string;
  args: string[];
  /** The documented exit code (`# exit 3`), 0 when none is given. */
  exitCode: number;
}

/** Shell words of one command: quotes and backslashes as sh reads them; `#` starts a comment. */
export function shellWords(text: string): { words: string[]; comment: string } {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === "'" || char === '"') {
      const end = text.indexOf(char, i + 1);
      if (end < 0) throw new Error(`unterminated ${char} in: ${text}`);
      word = (word ?? '') + text.slice(i + 1, end).replace(char === '"' ? /\\(["\\$`])/g : /$^/, '$1');
      i = end;
    } else if (char === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === '#' && word === undefined) {
      return { words, comment: text.slice(i + 1).trim() };
    } else word = (word ?? '') + char;
  }
  if (word !== undefined) words.push(word);
  return { words, comment: '' };
}

/** A word with * or ? in its last part, expanded as the shell would (sorted; kept as is when nothing matches). */
function expandGlob(word: string): string[] {
  if (!/[*?]/.test(path.basename(word)) || /[*?]/.test(path.dirname(word))) return [word];
  const pattern = new RegExp(
    `^${path
      .basename(word)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  let entries: string[];
  try {
    entries = readdirSync(path.resolve(root, path.dirname(word)));
  } catch {
    return [word];
  }
  const found = entries.filter((entry) => pattern.test(entry) && !entry.startsWith('.')).sort();
  return found.length ? found.map((entry) => path.join(path.dirname(word), entry)) : [word];
}

/** Every `npm run` example in the README's ```sh blocks (`a && npm run b` counts b). */
export function readmeExamples(readme: string): Example[] {
  const examples: Example[] = [];
  let inBlock = false;
  readme.split('\n').forEach((raw, index) => {
    // A fence may be indented (a block inside a list item).
    if (/^\s*```/.test(raw)) {
      inBlock = !inBlock && /^\s*```(sh|bash|shell)\s*$/.test(raw);
      return;
    }
    if (!inBlock) return;
    const { words, comment } = shellWords(raw);
    const text = raw.replace(/\s+#.*$/, '').trim();
    // Split on && and ; as the shell does; keep the npm run parts.
    const parts: string[][] = [[]];
    for (const word of words)
      if (word === '&&' || word === ';') parts.push([]);
      else parts.at(-1)!.push(word);
    for (const part of parts) {
      if (part[0] !== 'npm' || part[1] !== 'run' || !part[2]) continue;
      const rest = part.slice(3);
      const args = rest[0] === '--' ? rest.slice(1) : rest;
      const code = /\bexit (\d+)\b/.exec(comment);
      examples.push({
        text,
        line: index + 1,
        name: part[2],
        args: args.flatMap(expandGlob),
        exitCode: code ? Number(code[1]) : 0,
      });
    }
  });
  return examples;
}

const examples = readmeExamples(readFileSync(path.join(root, 'README.md'), 'utf8'));
const notRun = (example: Example) =>
  NOT_RUN.find((skip) => skip.when(example))?.reason ??
  (example.name in COMMANDS ? undefined : `skipped for now: "${example.name}" is not in scripts/commands.ts yet`);
const runnable = examples.filter((example) => !notRun(example));

describe('the README shell examples are read as the shell reads them', () => {
  it('splits words, quotes, comments and && chains; expands a glob', () => {
    expect(shellWords(`npm run print -- --printer "HQ Floor 2" --name 'a b.pdf' x\\ y  # exit 3: why`)).toEqual({
      words: ['npm', 'run', 'print', '--', '--printer', 'HQ Floor 2', '--name', 'a b.pdf', 'x y'],
      comment: 'exit 3: why',
    });
    const [chained, globbed] = readmeExamples(
      [
        '   ```sh',
        'npm ci && npm run sandbox -- --port 0   # comment',
        '   npm run policy -- explain p.json policies/examples/school/jobs/staff-*.json # exit 3',
        '   ```',
        '```text',
        'npm run print -- not an example',
        '```',
      ].join('\n'),
    );
    expect(chained).toMatchObject({ name: 'sandbox', args: ['--port', '0'], exitCode: 0, line: 2 });
    expect(globbed).toMatchObject({
      name: 'policy',
      args: [
        'explain',
        'p.json',
        'policies/examples/school/jobs/staff-daytime.json',
        'policies/examples/school/jobs/staff-saturday.json',
      ],
      exitCode: 3,
    });
  });

  it('finds the examples, and says which are not run and why', () => {
    expect(examples.length).toBeGreaterThan(5);
    expect(runnable.length).toBeGreaterThan(0);
    const skipped = examples.filter(notRun).map((e) => `README.md:${e.line}  ${e.text}\n    ${notRun(e)}`);
    if (skipped.length) console.log(`README examples not run (${skipped.length}):\n${skipped.join('\n')}`);
  });
});

describe('the README command examples run as written against a sandbox', () => {
  let sandbox: Sandbox | undefined;
  let running: RunningSandbox | undefined;
  const saved = { dir: process.env.RELEASE_GATE_SANDBOX_DIR, cwd: process.cwd() };
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'readme-examples-'));

  beforeAll(async () => {
    process.env.RELEASE_GATE_SANDBOX_DIR = stateDir;
    process.chdir(root); // the examples' paths are relative to the repository, where npm runs them
    if (runnable.every((example) => OFFLINE.has(example.name))) return;
    // As `npm run sandbox` starts and announces itself (sandbox/main.ts), on free ports.
    const policy = path.join(root, 'sandbox', 'demo', 'demo-policy.ts');
    sandbox = await startSandbox({
      hostPort: 0,
      simulatorPort: 0,
      settings: { RELEASE_GATE_POLICY_MODULE: policy },
      log: () => undefined,
    });
    running = writeRunning(
      {
        simulatorUrl: sandbox.simulator.url,
        hostUrl: sandbox.host.url,
        hostPort: Number(new URL(sandbox.host.url).port),
        pid: process.pid,
        startedAt: new Date().toISOString(),
        policy: path.relative(root, policy),
        // The host's master key, which `setup --sandbox` reads from the announcement.
        masterKey: sandbox.host.keys.master,
      },
      sandbox.settings,
    );
  }, 60000);

  afterAll(async () => {
    if (running) clearRunning(running);
    await sandbox?.stop();
    process.chdir(saved.cwd);
    if (saved.dir === undefined) delete process.env.RELEASE_GATE_SANDBOX_DIR;
    else process.env.RELEASE_GATE_SANDBOX_DIR = saved.dir;
    rmSync(stateDir, { recursive: true, force: true });
  });

  // The same command written twice in the README runs once (titled with every line it is on).
  const byText = new Map<string, Example[]>();
  for (const example of examples) byText.set(example.text, [...(byText.get(example.text) ?? []), example]);
  const cases = [...byText.values()].map(
    (same) => [`README.md:${same.map((e) => e.line).join(', ')}  ${same[0]!.text}`, same[0]!] as const,
  );
  it.each(cases.filter(([, example]) => !notRun(example)))('%s', async (_title, example) => {
    const terminal = recordingTerminal();
    const { command } = await COMMANDS[example.name]!();
    const code = await runCommand(command(terminal), example.args, terminal);
    // The output too, so a failure shows what the command said.
    const output = terminal.stdout() + terminal.stderr();
    expect({ code, output }).toEqual({ code: example.exitCode, output: expect.stringMatching(/\S/) });
  });
  // Listed (as skipped, with the reason) so a reader of the test output sees what was not run.
  for (const [title, example] of cases.filter(([, e]) => notRun(e)))
    it.skip(`${title}  (${notRun(example)})`, () => {});
});
