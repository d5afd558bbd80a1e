/**
 * `npm run sandbox`: Release Gate end to end on this machine. Starts Azurite, the Universal Print
 * simulator and the local Functions host with the demo tenant and a policy (the demo policy unless
 * --policy or the environment names another, checked before anything starts); prints what runs where
 * and how to print; stops cleanly on Ctrl-C. `--lan` makes it reachable from a phone on the network.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import {
  action,
  defineCommand,
  describeUse,
  ExitError,
  paint,
  progress,
  runMain,
  UsageError,
  wholeNumber,
  type Terminal,
} from '../admin/cli/cli';
import { checkPolicy, InputError } from '../admin/policy/check-policy';
import { parsePolicy } from '../src/policy/declarative/policy-schema';
import { JsonSyntaxError, jsonSyntaxLines, parseJsonText } from '../src/config/json-syntax';
import { checkPluginNames, loadPluginModule } from '../src/policy/load-policy';
import { resolveAppSettings } from './host/local-functions-host';
import { prettyLogSink } from './pretty-log';
import { startSandbox } from './sandbox';
import { DEFAULT_TLS_DIR } from './tls/dev-certificates';
import { clearRunning, writeRunning } from './state-file';

/** Exit code: the policy (from --policy or the environment) is not valid; nothing was started. */
export const EXIT_BAD_POLICY = 3;
/** Exit code: a port or the --lan address cannot be used (in use, or not this machine's). */
export const EXIT_CANNOT_LISTEN = 4;

const PROJECT_ROOT = path.resolve(__dirname, '..');
export const DEMO_POLICY = path.join(__dirname, 'demo', 'demo-policy.ts');
const POLICY_SETTINGS = [
  'RELEASE_GATE_POLICY_FILE',
  'RELEASE_GATE_POLICY_MODULE',
  'RELEASE_GATE_POLICY_JSON',
  'RELEASE_GATE_POLICY_URL',
] as const;

/** The policy a sandbox runs: the settings that select it, what the banner says, and lint warnings. */
export interface PolicyChoice {
  settings: Record<string, string>;
  /** Environment settings the choice replaces (removed from the sandbox's environment). */
  overridden: string[];
  /** e.g. `policies/examples/school/policy.json (declarative policy "School", 6 rules)`. */
  banner: string;
  /** The file or module as running.json records it. */
  source: string;
  warnings: string[];
}

/** A path as the user would type it from here: relative inside the current folder, else absolute. */
const relative = (file: string) => {
  const inside = path.relative(process.cwd(), file);
  return inside && !inside.startsWith('..') && !path.isAbsolute(inside) ? inside : path.resolve(file);
};
const isJson = (file: string) => /\.json$/i.test(file);
const isModule = (file: string) => /\.(ts|js|cjs|mjs|cts|mts)$/i.test(file);

function declarative(file: string, pluginModule: string | undefined, origin: string): Omit<PolicyChoice, 'settings'> {
  let checked: ReturnType<typeof checkPolicy>;
  try {
    checked = checkPolicy(file, pluginModule);
  } catch (error) {
    if (error instanceof InputError) throw new ExitError(`${origin}: ${error.message}`, EXIT_BAD_POLICY);
    throw error;
  }
  if (!checked.ok || !checked.policy)
    throw new ExitError([...checked.lines, 'The sandbox was not started.'].join('\n'), EXIT_BAD_POLICY);
  const { policy } = checked;
  // As the app will find when it loads the policy: plug-in conditions need a module that exports them.
  const missing = pluginModule ? [] : checkPluginNames(policy, undefined);
  if (missing.length > 0)
    throw new ExitError(
      [`${file} is not a valid policy here:`, ...missing.map((e) => `  - ${e}`), 'The sandbox was not started.'].join(
        '\n',
      ),
      EXIT_BAD_POLICY,
    );
  return {
    overridden: [],
    source: relative(file),
    warnings: checked.warnings,
    banner:
      `${relative(file)} (declarative policy "${policy.name}", ${policy.rules.length} rule(s)` +
      `${policy.shadowMode ? ', shadow mode' : ''}${pluginModule ? `, plug-in conditions from ${relative(pluginModule)}` : ''})` +
      origin.replace(/^--policy$/, ''),
  };
}

function codeModule(file: string, origin: string): Omit<PolicyChoice, 'settings'> {
  let loaded: ReturnType<typeof loadPluginModule>;
  try {
    loaded = loadPluginModule(file);
  } catch (error) {
    throw new ExitError(
      `${origin} ${relative(file)}: the policy module could not be loaded: ${(error as Error).message}\nThe sandbox was not started.`,
      EXIT_BAD_POLICY,
    );
  }
  if (!loaded.policy)
    throw new ExitError(
      `${origin} ${relative(file)} exports plug-in conditions but no policy ({ name, decide(context) }): ` +
        'use it with a JSON policy (RELEASE_GATE_POLICY_MODULE beside --policy policy.json).\nThe sandbox was not started.',
      EXIT_BAD_POLICY,
    );
  return {
    overridden: [],
    source: relative(file),
    warnings: [],
    banner: `${relative(file)} (code module, policy "${loaded.policy.name}")${origin === '--policy' ? '' : origin}`,
  };
}

/**
 * What `--policy` (a JSON policy or a code module), or else the environment's policy settings, or else
 * the demo policy, select; checked as the policy CLI checks it. Throws ExitError (EXIT_BAD_POLICY) with
 * that check's message when the policy is not valid, before anything has started.
 */
export function choosePolicy(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): PolicyChoice {
  const fromEnv = POLICY_SETTINGS.filter((name) => env[name]);
  if (flag !== undefined) {
    const file = path.resolve(flag);
    if (!isJson(file) && !isModule(file))
      throw new UsageError(`--policy takes a JSON policy (.json) or a code module (.ts, .js), not "${flag}".`);
    if (!existsSync(file)) throw new UsageError(`--policy ${flag}: no such file.`);
    if (isJson(file)) {
      // A code module in the environment still provides the plug-in conditions the JSON policy names.
      const plugin = env.RELEASE_GATE_POLICY_MODULE
        ? path.resolve(PROJECT_ROOT, env.RELEASE_GATE_POLICY_MODULE)
        : undefined;
      return {
        ...declarative(file, plugin, '--policy'),
        settings: { RELEASE_GATE_POLICY_FILE: file, ...(plugin ? { RELEASE_GATE_POLICY_MODULE: plugin } : {}) },
        overridden: fromEnv.filter((name) => name !== 'RELEASE_GATE_POLICY_MODULE'),
      };
    }
    return {
      ...codeModule(file, '--policy'),
      settings: { RELEASE_GATE_POLICY_MODULE: file },
      overridden: fromEnv,
    };
  }
  // As the app chooses (src/policy/load-policy.ts): inline JSON, then a URL, then a file; else the module.
  if (env.RELEASE_GATE_POLICY_JSON) {
    let parsed: ReturnType<typeof parsePolicy>;
    try {
      parsed = parsePolicy(parseJsonText(env.RELEASE_GATE_POLICY_JSON));
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) throw error;
      // Line and column, the line and a caret, as the policy CLI shows them.
      const lines = jsonSyntaxLines('RELEASE_GATE_POLICY_JSON', error.problem);
      throw new ExitError(lines.join('\n'), EXIT_BAD_POLICY);
    }
    if (!parsed.ok)
      throw new ExitError(
        ['RELEASE_GATE_POLICY_JSON is not a valid policy:', ...parsed.errors.map((e) => `  - ${e}`)].join('\n'),
        EXIT_BAD_POLICY,
      );
    return {
      settings: {},
      overridden: [],
      source: 'RELEASE_GATE_POLICY_JSON',
      warnings: [],
      banner: `inline declarative policy "${parsed.policy.name}" (RELEASE_GATE_POLICY_JSON in the environment)`,
    };
  }
  if (env.RELEASE_GATE_POLICY_URL)
    return {
      settings: {},
      overridden: [],
      source: env.RELEASE_GATE_POLICY_URL,
      warnings: [],
      banner: `${env.RELEASE_GATE_POLICY_URL} (declarative, fetched by the app; RELEASE_GATE_POLICY_URL in the environment)`,
    };
  if (env.RELEASE_GATE_POLICY_FILE) {
    const file = path.resolve(PROJECT_ROOT, env.RELEASE_GATE_POLICY_FILE);
    const plugin = env.RELEASE_GATE_POLICY_MODULE
      ? path.resolve(PROJECT_ROOT, env.RELEASE_GATE_POLICY_MODULE)
      : undefined;
    return { ...declarative(file, plugin, ' (RELEASE_GATE_POLICY_FILE in the environment)'), settings: {} };
  }
  if (env.RELEASE_GATE_POLICY_MODULE) {
    const file = path.resolve(PROJECT_ROOT, env.RELEASE_GATE_POLICY_MODULE);
    return { ...codeModule(file, ' (RELEASE_GATE_POLICY_MODULE in the environment)'), settings: {} };
  }
  return {
    ...codeModule(DEMO_POLICY, '--policy'),
    banner: `${relative(DEMO_POLICY)} (the demo policy, a code module)`,
    settings: { RELEASE_GATE_POLICY_MODULE: DEMO_POLICY },
  };
}

/** `--lan` alone: this machine's first non-internal IPv4 address; `--lan <address>`: that one. */
export function lanAddress(value: true | string, interfaces = os.networkInterfaces()): string {
  if (value !== true) {
    if (net.isIPv4(value)) return value;
    throw new UsageError(`--lan takes an IPv4 address of this machine (e.g. 192.168.1.20), not "${value}".`);
  }
  const found = Object.values(interfaces)
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!found)
    throw new UsageError('--lan: this machine has no network address other than loopback; pass one: --lan <address>.');
  return found.address;
}

interface Options {
  port: number;
  simulatorPort: number;
  policy?: string;
  lan?: true | string;
}

export function command(terminal: Terminal): Command {
  const command = defineCommand(
    'sandbox',
    'Release Gate end to end on this machine: Azurite, the Universal Print simulator (demo tenant) and the ' +
      'Functions host with a policy. Prints what runs where and how to print; Ctrl-C stops everything.',
    terminal,
  )
    .option('--port <port>', 'the Functions host port (0: a free one)', wholeNumber(0, 65535), 7071)
    .option('--simulator-port <port>', 'the simulator port (0: a free one)', wholeNumber(0, 65535), 8443)
    .option(
      '--policy <file>',
      'a declarative policy (.json) or a code module (.ts/.js); default: RELEASE_GATE_POLICY_FILE / _MODULE ' +
        'from the environment, else the demo policy',
    )
    .option(
      '--lan [address]',
      "listen on this machine's LAN address (or the one given) instead of 127.0.0.1, for trying with a phone",
    )
    .action(action((options: Options) => run(options, terminal)));
  return describeUse(command, {
    examples: [
      'npm run sandbox',
      'npm run sandbox -- --policy policies/examples/school/policy.json',
      'npm run sandbox -- --port 7072 --simulator-port 8444   (a second sandbox beside the first)',
      'npm run sandbox -- --lan   (scan a QR code with a phone on the same network)',
    ],
    exitCodes: {
      0: 'stopped with Ctrl-C',
      [EXIT_BAD_POLICY]: 'the policy is not valid (the policy check says why); nothing was started',
      [EXIT_CANNOT_LISTEN]: 'a port is in use or the --lan address is not one of this machine',
    },
    notes: [
      'A bad policy stops the sandbox before it starts, with the message of `npm run policy -- check`.',
      '--lan is for trying only: random keys, a development CA the phone must trust, no real tenant.',
    ],
  });
}

async function run(options: Options, terminal: Terminal): Promise<number> {
  if (options.port !== 0 && options.port === options.simulatorPort)
    throw new UsageError(`--port and --simulator-port are both ${options.port}: give them different ports.`);
  const lan = options.lan === undefined ? undefined : lanAddress(options.lan);
  const policy = choosePolicy(options.policy);
  const color = paint(terminal.color.out);
  const warn = paint(terminal.color.err);
  for (const name of policy.overridden) {
    terminal.err(warn.yellow(`${name} in the environment is ignored: --policy ${options.policy} decides.`));
    delete process.env[name]; // the host's settings are the environment and the sandbox's own
  }
  for (const warning of policy.warnings) terminal.err(warn.yellow(`policy warning: ${warning}`));
  if (lan)
    terminal.err(
      warn.yellow(
        `--lan: listening on ${lan}, reachable from other devices on this network. For trying only: random keys, ` +
          'a development CA the phone must trust, a simulated tenant; never for real users or data.',
      ),
    );

  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({
      hostPort: options.port,
      simulatorPort: options.simulatorPort,
      settings: policy.settings,
      log: prettyLogSink(terminal),
      lan,
      steps: (label) => progress(terminal, label),
    });
  } catch (error) {
    const text = String(error instanceof Error ? error.message : error);
    const at = /(\S+):(\d+)\s*$/.exec(text);
    if (/EADDRINUSE/.test(text))
      throw new ExitError(
        `Port ${at?.[2] ?? '?'} is in use (another sandbox?): pass other ports, e.g. --port 0 --simulator-port 0 (free ones).`,
        EXIT_CANNOT_LISTEN,
      );
    if (/EADDRNOTAVAIL/.test(text))
      throw new ExitError(`--lan ${lan}: not an address of this machine (${text}).`, EXIT_CANNOT_LISTEN);
    throw error;
  }
  const { simulator, host, azurite } = sandbox;
  const running = writeRunning(
    {
      simulatorUrl: simulator.url,
      hostUrl: host.url,
      hostPort: Number(new URL(host.url).port),
      pid: process.pid,
      startedAt: new Date().toISOString(),
      policy: policy.source,
      masterKey: host.keys.master,
      ...(lan ? { lan } : {}),
    },
    sandbox.settings,
  );
  const r = host.registrations;
  const demo = simulator.demo!;
  const portFlag = options.port === 7071 ? '' : ` --port ${running.hostPort}`;
  terminal.out(`
${color.bold('Release Gate sandbox is running.')}

  Functions host      ${host.url}
    HTTP              ${r.http.map((h) => `${h.methods.join(',')} /api/${h.route}`).join('   ')}
    queues            ${r.queues.map((q) => `${q.name} <- ${resolveAppSettings(q.queueName, host.settings)}`).join('   ')}
    timers            ${r.timers.map((t) => `${t.name} (${t.schedule})`).join('   ')}
    access keys       enforced as in Azure (random for this run): authLevel function takes a function, host
                      or master key as ?code= or x-functions-key; admin (and /admin/functions) the master key
                      master key ${host.keys.master}
                      host key graph-notifications ${sandbox.settings.RELEASE_GATE_FUNCTION_KEY} (Graph sends it)
    run a timer       curl -X POST ${host.url}/admin/functions/reconcile-tasks -H "x-functions-key: ${host.keys.master}"
  Universal Print     ${simulator.graphBaseUrl}   (Graph) and ${simulator.authorityHost}/${simulator.tenantId} (Entra ID)
    control API       ${simulator.url}/_control/   (see sandbox/simulator/README.md)
  Azurite             queues ${azurite.queueUrl}   tables ${azurite.tableUrl}
  Task definition     ${sandbox.taskDefinitionId} (triggers on every printer, subscription via the keeper)
  Policy              ${policy.banner}

Printers: ${Object.values(demo.printers)
    .map((p) => `"${p.displayName}"`)
    .join(', ')}
Users:    ${Object.values(demo.users)
    .map((u) => u.userPrincipalName)
    .join(', ')}

Print a job (another terminal):
  npm run print -- --user adele@contoso.example --printer "HQ Floor 2 Mono" --color --name Report.pdf${portFlag} --wait
  npm run print -- --user sam.student@contoso.example --printer "School Library" --copies 2${portFlag}

Pull printing: print to the pull queue, then release the job in a browser (sign in as the same user;
the simulator's HTTPS certificate comes from the sandbox's own CA, so accept the browser's warning):
  npm run print -- --user adele@contoso.example --printer "Follow-me Pull Queue" --name Slides.pdf${portFlag}
  ${host.url}/api/release?printer=${demo.printers.library.id}   (the School Library's QR code)
  npm run qr-codes -- --sandbox --out ${relative(path.join(running.directory, 'qr-codes'))}   (a QR code per printer)
${lan ? lanHelp(lan, host.url, simulator.url) : ''}See the decisions below as they happen. Ctrl-C stops everything.
The settings of this sandbox, for Core Tools: ${relative(running.settingsFile)}
`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  terminal.out('\nStopping…');
  clearRunning(running);
  await sandbox.stop();
  terminal.out('Stopped.');
  return 0;
}

function lanHelp(address: string, hostUrl: string, simulatorUrl: string): string {
  return `
On a phone (same network as this machine, ${address}); for trying only, never for real users:
  1. Trust the sandbox's development CA on the phone: ${relative(path.join(DEFAULT_TLS_DIR, 'dev-ca.pem'))}
     (or open ${hostUrl}/api/release and ${simulatorUrl}/_control/printers once and accept each warning).
  2. Print a QR code (npm run qr-codes -- --sandbox) or open the release page link above, and sign in as
     the user who printed (the simulated tenant's sign-in page lets you pick a demo user).
`;
}

if (require.main === module) runMain(command);
