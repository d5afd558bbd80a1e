import { Option } from 'commander';
import {
  EXIT,
  UsageError,
  action,
  defineCommand,
  describeUse,
  nearest,
  paint,
  processTerminal,
  runCommand,
  wholeNumber,
  type Terminal,
} from '../../../admin/cli/cli';
import { recordingTerminal } from '../../support/recording-terminal';

function sample(terminal: Terminal, seen: unknown[] = []) {
  const command = defineCommand('sample', 'A sample command.', terminal)
    .requiredOption('--user <upn>', 'who prints')
    .addOption(new Option('--copies <n>', 'how many').argParser(wholeNumber(1, 999)).default(1))
    .action(
      action(async (options: { user: string; copies: number }) => {
        seen.push(options);
        if (options.user === 'bad') throw new UsageError('--user bad is not a user');
        if (options.user === 'boom') throw new Error('it broke');
        return options.copies === 3 ? 3 : undefined;
      }),
    );
  return describeUse(command, { examples: ['npm run sample -- --user a@b'], exitCodes: { 3: 'three copies' } });
}

describe('the shared command line', () => {
  it('answers --help with usage, examples and exit codes, exit 0', async () => {
    const terminal = recordingTerminal();
    expect(await runCommand(sample(terminal), ['--help'], terminal)).toBe(EXIT.ok);
    expect(terminal.stdout()).toMatch(/Usage: npm run sample -- \[options\]/);
    expect(terminal.stdout()).toContain('npm run sample -- --user a@b');
    expect(terminal.stdout()).toContain('3  three copies');
  });

  it('suggests the nearest flag for a typo, exit 2', async () => {
    const terminal = recordingTerminal();
    expect(await runCommand(sample(terminal), ['--user', 'a', '--copis', '2'], terminal)).toBe(EXIT.usage);
    expect(terminal.stderr()).toMatch(/unknown option '--copis'[\s\S]*Did you mean --copies\?/);
  });

  it('names a misspelt flag even when a required option is missing because of it, exit 2', async () => {
    const terminal = recordingTerminal();
    expect(await runCommand(sample(terminal), ['--usr', 'a'], terminal)).toBe(EXIT.usage);
    expect(terminal.stderr()).toMatch(
      /required option '--user <upn>' not specified[\s\S]*unknown option '--usr'\n\(Did you mean --user\?\)/,
    );
  });

  it('echoes a bad value with the rule, exit 2, and runs nothing', async () => {
    const seen: unknown[] = [];
    for (const bad of ['two', '0', '1.5']) {
      const terminal = recordingTerminal();
      expect(await runCommand(sample(terminal, seen), ['--user', 'a', '--copies', bad], terminal)).toBe(EXIT.usage);
      expect(terminal.stderr()).toContain(`"${bad}" is not a whole number from 1 to 999`);
    }
    expect(seen).toEqual([]);
  });

  it('passes the action exit code through; a usage error is 2, any other error 1 with its message', async () => {
    const cases: [string, number, RegExp | undefined][] = [
      ['a', EXIT.ok, undefined],
      ['bad', EXIT.usage, /error: --user bad is not a user[\s\S]*--help/],
      ['boom', EXIT.failed, /it broke/],
    ];
    for (const [user, code, message] of cases) {
      const terminal = recordingTerminal();
      expect(await runCommand(sample(terminal), ['--user', user], terminal)).toBe(code);
      if (message) expect(terminal.stderr()).toMatch(message);
    }
    const terminal = recordingTerminal();
    expect(await runCommand(sample(terminal), ['--user', 'a', '--copies', '3'], terminal)).toBe(3);
  });

  it('writes colour only where asked: never with NO_COLOR, never to a pipe', () => {
    expect(paint(false).red('x')).toBe('x');
    expect(paint(true).red('x')).toBe('\x1b[31mx\x1b[0m');
    expect(processTerminal({ NO_COLOR: '1', FORCE_COLOR: '1' }).color).toEqual({ out: false, err: false });
    expect(processTerminal({ FORCE_COLOR: '1' }).color).toEqual({ out: true, err: true });
    // jest's own output is not a terminal
    if (!process.stdout.isTTY) expect(processTerminal({}).color.out).toBe(false);
  });

  it('finds the nearest choice within two edits', () => {
    expect(nearest('HQ Flor 2 Mono', ['HQ Floor 2 Mono', 'School Library'])).toBe('HQ Floor 2 Mono');
    expect(nearest('nothing like it', ['HQ Floor 2 Mono'])).toBeUndefined();
  });
});
