import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { runCommand } from '../../../admin/cli/cli';
import { COMMANDS, type CommandModule } from '../../../scripts/commands';
import { recordingTerminal } from '../../support/recording-terminal';

/**
 * Every command a user runs (scripts/commands.ts), in-process: its help and its answer to a typo. A
 * command with subcommands (`policy check`) is checked for each of them too.
 */

/** The npm scripts a user runs by hand; each must be a command with help (the others are for builds and CI). */
const USER_SCRIPTS = [
  'sandbox',
  'print',
  'demo',
  'report',
  'quota',
  'policy',
  'setup',
  'doctor',
  'qr-codes',
  'bench',
  'package',
];

/** Each way into a command: [] for the command itself, [name] for a subcommand. */
function routes(command: Command, prefix: string[] = []): { argv: string[]; command: Command }[] {
  return [
    { argv: prefix, command },
    ...command.commands.filter((sub) => sub.name() !== 'help').flatMap((sub) => routes(sub, [...prefix, sub.name()])),
  ];
}

/** A real long flag of the command (not --help), or --help when it has none. */
function someFlag(command: Command): string {
  const flags = (command.options as Option[]).map((option) => option.long).filter((long) => long && long !== '--help');
  return flags[0] ?? '--help';
}

/** The flag with its second-to-last letter dropped: `--plugin` → `--plugn`. */
const misspelt = (flag: string) => flag.slice(0, -2) + flag.slice(-1);

/**
 * The exit code the help documents for a bad command line: 2 for every command but one whose codes
 * predate the shared ones and says so (the doctor's 2 is "a check failed", its 3 "… or a bad command line").
 */
function badCommandLineCode(help: string): number {
  const codes = help.slice(help.indexOf('\nExit codes:'));
  const line = /\n {2}(\d+) {2}[^\n]*\bbad command line/.exec(codes);
  return line ? Number(line[1]) : NaN;
}

const names = Object.keys(COMMANDS).sort();

describe('every command', () => {
  it('has a command registered for each user-facing npm script (fails until every lane of issue 16 has merged)', () => {
    const scripts = (
      JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(USER_SCRIPTS.filter((name) => !(name in scripts))).toEqual([]);
    // One assertion: the scripts that are not yet commands with help, tests and README examples.
    expect({ missingFromCOMMANDS: USER_SCRIPTS.filter((name) => !(name in COMMANDS)) }).toEqual({
      missingFromCOMMANDS: [],
    });
  });

  describe.each(names)('npm run %s', (name) => {
    let make: CommandModule['command'];
    // Loading a command loads its part of the app (the Azure SDKs): once, outside the unit time limit.
    beforeAll(async () => {
      make = (await COMMANDS[name]!()).command;
    }, 60000);

    it('is named as the user types it', () => {
      const terminal = recordingTerminal();
      expect(make(terminal).name()).toBe(`npm run ${name} --`);
    });

    it('answers --help (and each subcommand’s) with usage, examples and exit codes, exit 0', async () => {
      for (const { argv } of routes(make(recordingTerminal()))) {
        const terminal = recordingTerminal();
        const code = await runCommand(make(terminal), [...argv, '--help'], terminal);
        const help = terminal.stdout();
        expect({ argv, code }).toEqual({ argv, code: 0 });
        expect(help).toMatch(new RegExp(`^Usage: npm run ${name} -- ${argv.map((a) => `${a} `).join('')}`));
        expect(help).toMatch(new RegExp(`\\nExamples:\\n( {2}\\S.*\\n)*? {2}.*npm run ${name}\\b`));
        expect(help).toMatch(/\nExit codes:\n {2}0 {2}\S/);
        expect(badCommandLineCode(help)).toBeGreaterThanOrEqual(2);
        expect(terminal.stderr()).toBe('');
      }
    });

    it('refuses a misspelt flag with exit 2 (or the code its help gives a bad command line) and suggests the right one', async () => {
      for (const { argv, command } of routes(make(recordingTerminal()))) {
        const flag = someFlag(command);
        const terminal = recordingTerminal();
        const code = await runCommand(make(terminal), [...argv, misspelt(flag)], terminal);
        const help = recordingTerminal();
        await runCommand(make(help), [...argv, '--help'], help);
        expect({ argv, flag, code }).toEqual({ argv, flag, code: badCommandLineCode(help.stdout()) });
        expect(terminal.stderr()).toContain(`unknown option '${misspelt(flag)}'`);
        expect(terminal.stderr()).toContain(`Did you mean ${flag}?`);
      }
    });
  });
});
