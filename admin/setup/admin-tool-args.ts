import { InvalidArgumentError, Option, type Command } from 'commander';
import { oneOf, wholeNumber } from '../cli/cli';
import { CLOUDS } from '../../src/graph/graph-endpoints';
import { readRunning, readSandboxSettings } from '../../sandbox/state-file';

/** The clouds an admin tool can sign in to; china is refused with its reason (no Universal Print APIs). */
export const CLOUD_NAMES = (Object.keys(CLOUDS) as (keyof typeof CLOUDS)[]).filter((name) => name !== 'china');

/** The flags `npm run setup`, `doctor` and `qr-codes` share, as commander gives them. */
export interface AdminToolFlags {
  tenant?: string;
  clientId?: string;
  adminClientId?: string;
  functionUrl?: string;
  functionKey?: string;
  taskDefinitionId?: string;
  printers?: string;
  cloud: string;
  authorityHost?: string;
  graphBaseUrl?: string;
  sandbox?: boolean;
  port?: number;
}

/**
 * The command-line options `npm run setup` and `npm run doctor` share, each defaulting to the value
 * `eval "$(azd env get-values)"` puts in the environment (shown in the help), plus `--sandbox [--port N]`.
 */
export function addAdminToolOptions(
  command: Command,
  env: NodeJS.ProcessEnv,
  { sandbox = true }: { sandbox?: boolean } = {},
): Command {
  const fromEnv = (flags: string, description: string, name: string) => {
    // With the setting present, the help shows it as the default (its name, never its value: it may be a key).
    return env[name]
      ? new Option(flags, description).default(env[name], `$${name}`)
      : new Option(flags, `${description} (${name})`);
  };
  command
    .addOption(fromEnv('--tenant <id>', 'the tenant id', 'RELEASE_GATE_TENANT_ID'))
    .addOption(fromEnv('--client-id <id>', "Release Gate's app registration", 'RELEASE_GATE_APP_CLIENT_ID'))
    .addOption(
      fromEnv(
        '--admin-client-id <id>',
        'the admin-tools app registration the admin signs in through; default: --client-id',
        'RELEASE_GATE_ADMIN_APP_CLIENT_ID',
      ),
    )
    .addOption(
      fromEnv(
        '--function-url <url>',
        'the Function App, https://<app>.azurewebsites.net',
        'RELEASE_GATE_FUNCTION_APP_URL',
      ),
    )
    .addOption(
      fromEnv(
        '--function-key <key>',
        "the app's master key (az functionapp keys list)",
        'RELEASE_GATE_FUNCTION_ADMIN_KEY',
      ),
    )
    .addOption(fromEnv('--task-definition-id <id>', 'our print task definition', 'RELEASE_GATE_TASK_DEFINITION_ID'))
    .addOption(
      new Option('--cloud <cloud>', 'the national cloud')
        .default(env.RELEASE_GATE_CLOUD || 'global')
        .argParser((value) => {
          if (value === 'china')
            throw new InvalidArgumentError(
              '--cloud china: Microsoft Graph offers no Universal Print APIs in 21Vianet, so Release Gate cannot run there',
            );
          return oneOf(CLOUD_NAMES)(value);
        }),
    )
    .addOption(fromEnv('--authority-host <url>', 'another Entra ID (the sandbox)', 'RELEASE_GATE_AUTHORITY_HOST'))
    .addOption(fromEnv('--graph-base-url <url>', 'another Graph (the sandbox)', 'RELEASE_GATE_GRAPH_BASE_URL'));
  if (!sandbox) return command;
  return command
    .option('--sandbox', 'use the running sandbox (npm run sandbox) for all of the above')
    .addOption(
      new Option('--port <n>', 'with --sandbox: the sandbox on this Functions host port, when several run').argParser(
        wholeNumber(1, 65535),
      ),
    );
}

/** What the running sandbox gives for the shared flags (its simulated tenant, app and Functions host). */
export function sandboxValues(port: number | undefined, env: NodeJS.ProcessEnv): Partial<AdminToolFlags> {
  const running = readRunning(port, env);
  const settings = readSandboxSettings(running);
  return {
    tenant: settings.RELEASE_GATE_TENANT_ID,
    clientId: settings.RELEASE_GATE_APP_CLIENT_ID,
    adminClientId: settings.RELEASE_GATE_ADMIN_APP_CLIENT_ID || settings.RELEASE_GATE_APP_CLIENT_ID,
    // With --lan the host's URL is its LAN address, the one QR codes and phones use.
    functionUrl: running.hostUrl,
    functionKey: running.masterKey,
    taskDefinitionId: settings.RELEASE_GATE_TASK_DEFINITION_ID,
    cloud: 'global',
    authorityHost: settings.RELEASE_GATE_AUTHORITY_HOST ?? running.simulatorUrl,
    graphBaseUrl: settings.RELEASE_GATE_GRAPH_BASE_URL ?? running.simulatorUrl,
  };
}

/**
 * The flags with --sandbox applied: the sandbox's values, except where the admin typed a flag (a value from
 * the environment gives way to the sandbox's).
 */
export function withSandbox<T extends AdminToolFlags>(command: Command, flags: T, env: NodeJS.ProcessEnv): T {
  if (!flags.sandbox) return flags;
  const fromSandbox = sandboxValues(flags.port, env);
  const merged = { ...flags };
  for (const [name, value] of Object.entries(fromSandbox) as [keyof AdminToolFlags, unknown][]) {
    if (value !== undefined && command.getOptionValueSource(name) !== 'cli')
      (merged as Record<string, unknown>)[name] = value;
  }
  return merged;
}
