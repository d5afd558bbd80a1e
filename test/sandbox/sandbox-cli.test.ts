import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand, type Terminal } from '../../admin/cli/cli';
import type { AuditRecord } from '../../src/audit/audit-log';
import { command as demoCommand } from '../../sandbox/demo/run-demo';
import { choosePolicy, command as sandboxCommand, EXIT_BAD_POLICY } from '../../sandbox/main';
import { prettyLogSink } from '../../sandbox/pretty-log';
import {
  command as printCommand,
  describeDecision,
  EXIT_DENIED,
  matchPrinter,
  matchUser,
  parseSize,
} from '../../sandbox/print-job';
import { listRunning } from '../../sandbox/state-file';
import { recordingTerminal } from '../support/recording-terminal';

type Build = (terminal: Terminal) => import('commander').Command;

async function run(build: Build, args: string[]) {
  const terminal = recordingTerminal();
  const code = await runCommand(build(terminal), args, terminal);
  return { code, out: terminal.stdout(), err: terminal.stderr() };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'sandbox-cli-'));
const saved = process.env.RELEASE_GATE_SANDBOX_DIR;
beforeAll(() => (process.env.RELEASE_GATE_SANDBOX_DIR = dir));
afterAll(() => {
  process.env.RELEASE_GATE_SANDBOX_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run sandbox: help and bad input (nothing starts)', () => {
  it('--help: usage, examples and exit codes, exit 0', async () => {
    const { code, out } = await run(sandboxCommand, ['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/Usage: npm run sandbox -- \[options\]/);
    expect(out).toContain('npm run sandbox -- --policy policies/examples/school/policy.json');
    expect(out).toMatch(/--lan \[address\]/);
    expect(out).toMatch(/3 {2}the policy is not valid/);
  });

  it.each([
    [['--polcy', 'x.json'], /Did you mean --policy\?/],
    [['--port', 'abc'], /"abc" is not a whole number from 0 to 65535/],
    [['--simulator-port', '70000'], /"70000" is not a whole number from 0 to 65535/],
    [['--port', '9000', '--simulator-port', '9000'], /--port and --simulator-port are both 9000/],
    [
      ['--policy', 'README.md'],
      /--policy takes a JSON policy \(\.json\) or a code module \(\.ts, \.js\), not "README\.md"/,
    ],
    [['--policy', 'no-such-policy.json'], /--policy no-such-policy\.json: no such file/],
    [['--lan', 'my-phone'], /--lan takes an IPv4 address .* not "my-phone"/],
  ])('%j is refused with exit 2 and the reason', async (args, message) => {
    const { code, err } = await run(sandboxCommand, args);
    expect(err).toMatch(message);
    expect(code).toBe(2);
  });

  it('a policy with errors stops it before anything starts, with the policy check’s message (exit 3)', async () => {
    const file = path.join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ name: 'typo', rules: [{ name: 'a', when: {}, then: { relase: {} } }] }));
    const started = Date.now();
    const { code, err } = await run(sandboxCommand, ['--policy', file]);
    expect(err).toContain(`${file} is not a valid policy:`);
    expect(err).toMatch(/rule 1 "a": then/);
    expect(err).toContain('The sandbox was not started.');
    expect(code).toBe(EXIT_BAD_POLICY);
    expect(Date.now() - started).toBeLessThan(3000); // no Azurite, no simulator
    expect(listRunning()).toEqual([]);
  });

  it('a JSON file that is not JSON, and a module that exports no policy, are refused alike (exit 3)', async () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": "x", ');
    expect(await run(sandboxCommand, ['--policy', broken])).toMatchObject({
      code: 3,
      err: expect.stringMatching(/not valid JSON/),
    });
    // A plug-in condition with no module to export it would fail every decision: refused at start.
    const needsPlugin = path.join(dir, 'needs-plugin.json');
    writeFileSync(
      needsPlugin,
      JSON.stringify({
        name: 'p',
        timeZone: 'UTC',
        rules: [{ name: 'vip', when: { plugin: 'isVip' }, then: { release: {} } }],
        default: { release: {} },
      }),
    );
    const plugin = await run(sandboxCommand, ['--policy', needsPlugin]);
    expect(plugin.err).toMatch(/rule 1 "vip": when.plugin: "isVip" is not a condition .*RELEASE_GATE_POLICY_MODULE/);
    expect(plugin.code).toBe(3);
    const conditionsOnly = path.join(dir, 'conditions.js');
    writeFileSync(conditionsOnly, 'exports.conditions = { always: () => true };');
    const result = await run(sandboxCommand, ['--policy', conditionsOnly]);
    expect(result.err).toMatch(/exports plug-in conditions but no policy/);
    expect(result.code).toBe(3);
  });
});

describe('the policy the banner names', () => {
  const school = path.resolve('policies/examples/school/policy.json');

  it('--policy: a JSON policy or a code module, replacing what the environment says', () => {
    const json = choosePolicy('policies/examples/school/policy.json', { RELEASE_GATE_POLICY_MODULE: '' });
    expect(json.settings).toEqual({ RELEASE_GATE_POLICY_FILE: school });
    expect(json.banner).toMatch(
      /^policies\/examples\/school\/policy\.json \(declarative policy "School", 3 rule\(s\)\)$/,
    );
    const code = choosePolicy('sandbox/demo/demo-policy.ts', { RELEASE_GATE_POLICY_FILE: school });
    expect(code.settings).toEqual({ RELEASE_GATE_POLICY_MODULE: path.resolve('sandbox/demo/demo-policy.ts') });
    expect(code.overridden).toEqual(['RELEASE_GATE_POLICY_FILE']);
    expect(code.banner).toContain('code module, policy "sandbox demo policy"');
  });

  it('without --policy: RELEASE_GATE_POLICY_FILE or _MODULE from the environment, checked, else the demo policy', () => {
    const fromFile = choosePolicy(undefined, { RELEASE_GATE_POLICY_FILE: school });
    expect(fromFile.settings).toEqual({});
    expect(fromFile.banner).toMatch(/declarative policy "School".*RELEASE_GATE_POLICY_FILE in the environment/);
    const fromModule = choosePolicy(undefined, { RELEASE_GATE_POLICY_MODULE: 'sandbox/demo/demo-policy.ts' });
    expect(fromModule.banner).toMatch(/code module.*RELEASE_GATE_POLICY_MODULE in the environment/);
    expect(choosePolicy(undefined, {}).banner).toMatch(/demo-policy\.ts \(the demo policy/);
    expect(() => choosePolicy(undefined, { RELEASE_GATE_POLICY_FILE: 'README.md' })).toThrow(/not valid JSON/);
    // Inline JSON too: line and column, the line and a caret.
    expect(() => choosePolicy(undefined, { RELEASE_GATE_POLICY_JSON: '{"name": "x",}' })).toThrow(
      /^RELEASE_GATE_POLICY_JSON:1:14: not valid JSON: Expected double-quoted property name\n {2}\{"name": "x",\}\n {15}\^$/,
    );
  });
});

describe('npm run print: help and bad input', () => {
  it('--help: usage, examples and exit codes, exit 0', async () => {
    const { code, out } = await run(printCommand, ['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/--user <upn>/);
    expect(out).toMatch(/--wait/);
    expect(out).toMatch(/3 {2}with --wait: the job was denied/);
  });

  it.each([
    [[], /required option '--user <upn>' not specified/],
    [['--user', 'a@b'], /required option '--printer <name>' not specified/],
    [['--user', 'a@b', '--printer', 'x', '--copies', 'two'], /"two" is not a whole number from 1 to 999/],
    [['--user', 'a@b', '--printer', 'x', '--copies', '0'], /"0" is not a whole number from 1 to 999/],
    [['--user', 'a@b', '--printer', 'x', '--size', 'big'], /--size takes a size .* not "big"/],
    [['--user', 'a@b', '--printer', 'x', '--pages', '0'], /"0" is not a whole number from 1 to 10000/],
    [['--user', 'a@b', '--printer', 'x', '--timeout', '0'], /"0" is not a whole number from 1 to 3600/],
    [['--user', 'a@b', '--printer', 'x', '--wiat'], /Did you mean --wait\?/],
  ])('%j is refused with exit 2', async (args, message) => {
    const { code, err } = await run(printCommand, args);
    expect(err).toMatch(message);
    expect(code).toBe(2);
  });

  it('with no sandbox running, says how to start one (exit 1)', async () => {
    const { code, err } = await run(printCommand, ['--user', 'a@b', '--printer', 'x']);
    expect(err).toMatch(/No sandbox is running: start one with `npm run sandbox`/);
    expect(code).toBe(1);
  });

  const printers = ['HQ Floor 1 Color', 'HQ Floor 2 Mono', 'School Library'].map((displayName, i) => ({
    id: `p${i}`,
    displayName,
  }));

  it('finds a printer by its name or a part naming one; refuses a part naming several; suggests a near name', () => {
    expect(matchPrinter('school library', printers).id).toBe('p2');
    expect(matchPrinter('floor 2', printers).id).toBe('p1');
    expect(() => matchPrinter('HQ', printers)).toThrow(
      /"HQ" matches 2 printers: "HQ Floor 1 Color", "HQ Floor 2 Mono"/,
    );
    expect(() => matchPrinter('Schol Library', printers)).toThrow(/Did you mean "School Library"\?/);
  });

  it('finds a user by sign-in name in any case; suggests a near one', () => {
    expect(matchUser('Adele@Contoso.example', ['adele@contoso.example'])).toBe('adele@contoso.example');
    expect(() => matchUser('adel@contoso.example', ['adele@contoso.example'])).toThrow(
      /No user adel@contoso.example .* Did you mean adele@contoso.example\?/,
    );
  });

  it('reads sizes as people write them', () => {
    expect(parseSize('250KB')).toBe(256000);
    expect(parseSize('2 MB')).toBe(2 * 1024 * 1024);
    expect(parseSize('100')).toBe(100);
    expect(() => parseSize('0')).toThrow(/--size/);
  });

  it('says what was decided, with the reason for a denial (exit 3) and where to release a held job', () => {
    const names = new Map([['hr', 'HR Confidential']]);
    const base = { rule: 'r', printerId: 'hr' } as AuditRecord;
    const denied = describeDecision(
      { ...base, outcome: 'denied', decision: { action: 'deny', rule: 'r', reason: 'Not after 18:00.' } },
      { hostUrl: 'https://h' },
      names,
    );
    expect(denied).toEqual({ text: 'Denied (rule "r"): Not after 18:00.', exitCode: EXIT_DENIED });
    const held = describeDecision(
      {
        ...base,
        outcome: 'held',
        decision: { action: 'hold', rule: 'r', expiresInMinutes: 1440, onExpiry: 'deny', releaseAt: ['hr'] },
      },
      { hostUrl: 'https://h' },
      names,
    );
    expect(held.text).toBe(
      'Held (rule "r"): release it at "HR Confidential", on the release page https://h/api/release?printer=hr ' +
        '(sign in as the user) or at a badge terminal; kept for 24 h, then deleted.',
    );
    expect(held.exitCode).toBe(0);
    const failSafe = describeDecision(
      {
        ...base,
        outcome: 'failed-safe',
        decision: { action: 'release', rule: 'r' },
        detail: 'denied by the fail-safe (policy unavailable): timed out',
      },
      { hostUrl: 'https://h' },
      names,
    );
    expect(failSafe).toEqual({
      text: 'Release Gate could not act as decided: denied by the fail-safe (policy unavailable): timed out.',
      exitCode: EXIT_DENIED,
    });
  });
});

describe('npm run demo: help and bad input', () => {
  it('--help describes the demo without running it', async () => {
    const started = Date.now();
    const { code, out } = await run(demoCommand, ['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/Usage: npm run demo --/);
    expect(out).toContain('npm run demo | head -3');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses arguments it does not take (exit 2)', async () => {
    expect((await run(demoCommand, ['--fast'])).code).toBe(2);
    expect((await run(demoCommand, ['now'])).code).toBe(2);
  });
});

describe('function logs in the sandbox', () => {
  const entry = (level: string) => ({
    time: new Date('2026-12-02T10:00:00.000Z'),
    functionName: 'process-task',
    invocationId: 'i',
    level,
    message: JSON.stringify({ event: 'task.finished', outcome: 'denied', functionName: 'x' }),
  });

  it('write no colour off a terminal, and colour on one', () => {
    const plain = recordingTerminal(false);
    prettyLogSink(plain)(entry('warning'));
    prettyLogSink(plain)(entry('error'));
    expect(plain.stdout()).toBe('10:00:00.000 process-task           task.finished outcome=denied');
    expect(plain.stderr()).toBe('10:00:00.000 process-task           task.finished outcome=denied');
    const coloured = recordingTerminal(true);
    prettyLogSink(coloured)(entry('error'));
    expect(coloured.stderr()).toBe('\x1b[31m10:00:00.000 process-task           task.finished outcome=denied\x1b[0m');
  });
});
