/**
 * What every command (`npm run sandbox`, `print`, `report`, `setup`, `qr-codes`, `demo`, `policy`, `doctor`)
 * shares: `--help` with usage and examples, the nearest flag suggested for a typo, the same exit codes, no
 * colour unless the output is a terminal (NO_COLOR and FORCE_COLOR respected), and progress for slow steps.
 * Parsing is commander's; a command is built by a function so tests run it in-process with their own output.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { nearest } from '../../src/config/nearest';

/** Exit codes every command uses; a command may add its own from 3 up (and documents them in its help). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Where a command writes. `processTerminal()` for a real run; tests pass a recording one. */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  /** Colour on stdout / stderr: only on a terminal that has colours, never with NO_COLOR. */
  color: { out: boolean; err: boolean };
  /** stdout is an interactive terminal (progress may rewrite its line). */
  interactive: boolean;
}

function hasColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return Boolean(stream.isTTY && stream.hasColors?.());
}

export function processTerminal(env: NodeJS.ProcessEnv = process.env): Terminal {
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: { out: hasColor(process.stdout, env), err: hasColor(process.stderr, env) },
    interactive: Boolean(process.stdout.isTTY),
  };
}

const ANSI = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;
export type Paint = Record<keyof typeof ANSI, (text: string) => string>;

/** Colour functions that write plain text when colour is off. */
export function paint(enabled: boolean): Paint {
  const entries = Object.entries(ANSI).map(([name, code]) => [
    name,
    (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text),
  ]);
  return Object.fromEntries(entries) as Paint;
}

/** A bad value the command found itself (after parsing): exit 2, with a pointer to `--help`. */
export class UsageError extends Error {}

/** A failure with its own documented exit code (3 and up). */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * A command named as the user types it (`npm run print --`), writing to `terminal`, exiting through
 * `runCommand` rather than `process.exit`, and suggesting the nearest option for a typo.
 */
export function defineCommand(script: string, description: string, terminal: Terminal): Command {
  const command = new Command(`npm run ${script} --`);
  return configure(command, terminal).description(description).helpOption('-h, --help', 'show this help');
}

function configure(command: Command, terminal: Terminal): Command {
  return command
    .exitOverride()
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .configureOutput({
      writeOut: (text) => terminal.out(text),
      writeErr: (text) => terminal.err(text),
      getOutHasColors: () => terminal.color.out,
      getErrHasColors: () => terminal.color.err,
      outputError: (text, write) => write(paint(terminal.color.err).red(text)),
    });
}

/** A subcommand (e.g. `policy check`) that behaves like its parent. */
export function defineSubcommand(parent: Command, name: string, description: string, terminal: Terminal): Command {
  return configure(parent.command(name), terminal).description(description);
}

/** The "Examples:" and "Exit codes:" blocks at the end of a command's help. */
export function describeUse(
  command: Command,
  use: { examples: string[]; exitCodes?: Record<number, string>; notes?: string[] },
): Command {
  const codes = {
    [EXIT.ok]: 'success',
    [EXIT.failed]: 'failed (the message says why)',
    [EXIT.usage]: 'bad command line',
    ...use.exitCodes,
  };
  const blocks = [
    ...(use.notes?.length ? ['', ...use.notes] : []),
    '',
    'Examples:',
    ...use.examples.map((line) => `  ${line}`),
    '',
    'Exit codes:',
    ...Object.entries(codes).map(([code, meaning]) => `  ${code}  ${meaning}`),
  ];
  return command.addHelpText('after', blocks.join('\n'));
}

/** `--copies <n>`-style parser: a whole number in [min, max], or a message that echoes the bad value. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text.trim());
    if (!/^\d+$/.test(text.trim()) || value < min || value > max)
      throw new InvalidArgumentError(`"${text}" is not a whole number from ${min} to ${max}.`);
    return value;
  };
}

/** A choice parser whose message lists the choices and the nearest one. */
export function oneOf<T extends string>(choices: readonly T[]): (text: string) => T {
  return (text) => {
    const found = choices.find((choice) => choice === text);
    if (found) return found;
    const near = nearest(text, choices);
    throw new InvalidArgumentError(
      `"${text}" is not one of ${choices.join(', ')}.${near ? ` Did you mean ${near}?` : ''}`,
    );
  };
}

/** The choice within edit distance 2 of `text` (case-insensitive), if there is one (shared with src/config). */
export { nearest };

/**
 * Parses `argv` and runs the command's action; returns the exit code instead of exiting. An action
 * may return a number (its exit code). `--help` is 0; a commander parse error or a UsageError is 2,
 * with the help pointer; an ExitError its code; any other error 1, with its message only.
 */
export async function runCommand(command: Command, argv: string[], terminal: Terminal): Promise<number> {
  const red = paint(terminal.color.err).red;
  try {
    results.delete(command);
    await command.parseAsync(argv, { from: 'user' });
    return results.get(command) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help is 0; help shown because no subcommand was named (`npm run policy --`) is a bad command line.
      if (error.code === 'commander.helpDisplayed' || error.exitCode === 0) return EXIT.ok;
      // Commander checks required options before unknown ones: name the typo too (`--usr`: did you mean --user?).
      if (error.code === 'commander.missingMandatoryOptionValue') {
        const typo = unknownFlag(command, argv);
        if (typo)
          terminal.err(red(`error: unknown option '${typo.flag}'${typo.near ? `\n(Did you mean ${typo.near}?)` : ''}`));
      }
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      terminal.err(red(`error: ${error.message}`));
      terminal.err(`(run ${command.name()} --help for usage)`);
      return EXIT.usage;
    }
    terminal.err(red(error instanceof Error ? error.message : String(error)));
    return error instanceof ExitError ? error.exitCode : EXIT.failed;
  }
}

/** The first long flag in `argv` that the command (or the subcommand `argv` starts with) does not know. */
function unknownFlag(command: Command, argv: string[]): { flag: string; near?: string } | undefined {
  const leaf = command.commands.find((sub) => sub.name() === argv[0]) ?? command;
  const longs = [...leaf.options.map((option) => option.long), '--help'].filter((long) => long !== undefined);
  for (const word of argv) {
    if (word === '--') break;
    const flag = word.split('=')[0]!;
    if (flag.startsWith('--') && !longs.includes(flag)) return { flag, near: nearest(flag, longs) };
  }
  return undefined;
}

/** The exit code an action returned, by root command. */
const results = new WeakMap<Command, number>();

/**
 * Wraps an action so its returned number becomes the command's exit code. Commander passes the
 * command last; its root is what `runCommand` was given.
 */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<number | void> | number | void,
): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    let root = args[args.length - 1] as Command;
    const value = await run(...(args.slice(0, -1) as A));
    while (root.parent) root = root.parent;
    if (typeof value === 'number') results.set(root, value);
  };
}

/** For a script's entry point: run with the process's arguments and exit with the command's code. */
export function runMain(build: (terminal: Terminal) => Command): void {
  const terminal = processTerminal();
  // The reader of a pipe went away (`npm run setup … | head`): stop quietly with the code a shell
  // expects (128 + SIGPIPE), unless the command handles it itself (the demo stops its sandbox first).
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      if (stream.listenerCount('error') === 1) process.exit(141);
    });
  void runCommand(build(terminal), process.argv.slice(2), terminal).then((code) => {
    process.exitCode = code;
  });
}

/**
 * Progress for a step that may take more than a few seconds: says what it is doing at once, then how
 * long it has waited (rewriting one line on a terminal, a line every 10 s otherwise), and how it ended.
 */
export function progress(terminal: Terminal, label: string, every = terminal.interactive ? 1000 : 10_000) {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  terminal.out(`${label}…`);
  const timer = setInterval(() => {
    const text = `${label}… ${seconds()} s`;
    if (terminal.interactive) process.stdout.write(`\x1b[1A\x1b[2K${text}\n`);
    else terminal.out(text);
  }, every);
  timer.unref();
  return {
    done(result = 'done') {
      clearInterval(timer);
      terminal.out(`${label}: ${result} (${seconds()} s)`);
    },
    fail(result: string) {
      clearInterval(timer);
      terminal.err(`${label}: ${result} (${seconds()} s)`);
    },
  };
}
