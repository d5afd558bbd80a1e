import { Command, Option } from 'commander';
import { PERMISSION_OPT_INS } from '../../src/graph/app-permissions';
import { CLOUDS } from '../../src/graph/graph-endpoints';
import { settingsObject } from '../../src/config/settings';
import { DoctorCannotRun } from './report';
import { addAdminToolOptions, withSandbox, type AdminToolFlags } from '../setup/admin-tool-args';

/**
 * The opt-in application permissions (src/graph/app-permissions.ts): their Bicep parameter, the azd environment
 * value that sets it, and the doctor's flag (allowGroupRules: --allow-group-rules).
 */
export const OPT_INS = Object.entries(PERMISSION_OPT_INS).map(([optIn, env]) => ({
  optIn,
  env,
  flag: optIn.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
}));

export interface DoctorOptions {
  tenant: string;
  clientId: string;
  /** The admin-tools app registration the admin signs in through (RELEASE_GATE_ADMIN_APP_CLIENT_ID). */
  adminClientId: string;
  functionUrl: string;
  /** The Function App's master (admin) key, for `POST /api/setup/doctor` and `GET /api/setup/triggers`. */
  functionKey?: string;
  keyVaultUri?: string;
  /** What azd knows as the task definition (the app's own setting is what counts). */
  taskDefinitionId?: string;
  /** The printers that should carry our trigger (names, * wildcards); undefined: report where it is. */
  printers?: string[];
  optIns: string[];
  appCredential: 'managed-identity' | 'certificate' | 'secret';
  secretNames: { clientState: string; functionKey: string; appSecret: string; appCertificate: string };
  json: boolean;
  cloud: keyof typeof CLOUDS;
  authorityHost?: string;
  graphBaseUrl?: string;
  /** Against the sandbox: its simulator approves the device code itself, so no prompt is shown. */
  sandbox?: boolean;
}

/** A setting's default, from the one settings schema (the secret names the app reads). */
const defaultOf = (name: keyof typeof settingsObject.shape): string =>
  String((settingsObject.shape[name] as unknown as { parse(v: unknown): unknown }).parse(undefined));

const truthy = (value: string | undefined) => /^(true|1|yes)$/i.test(value?.trim() ?? '');

interface DoctorFlags extends AdminToolFlags {
  keyVaultUri?: string;
  appCredential: string;
  json?: boolean;
  [optIn: string]: unknown;
}

/** The doctor's options on `command`: the admin tools' shared ones, its own, and each opt-in (and its --no-). */
export function addDoctorOptions(command: Command, env: NodeJS.ProcessEnv): Command {
  addAdminToolOptions(command, env, { sandbox: false })
    .option(
      '--printers <names>',
      'all, or names with * wildcards, comma-separated: printers that should carry the trigger (default: report where it is)',
    )
    .addOption(
      new Option('--key-vault-uri <url>', 'the Key Vault (RELEASE_GATE_KEY_VAULT_URI)').default(
        env.RELEASE_GATE_KEY_VAULT_URI || undefined,
        env.RELEASE_GATE_KEY_VAULT_URI ? '$RELEASE_GATE_KEY_VAULT_URI' : undefined,
      ),
    )
    .addOption(
      new Option('--app-credential <kind>', 'how the Function App signs in (RELEASE_GATE_APP_CREDENTIAL)').default(
        env.RELEASE_GATE_APP_CREDENTIAL || 'managed-identity',
      ),
    )
    .option('--json', 'print {"exitCode", "checks": [{status, name, detail, fix}]} instead of lines');
  for (const o of OPT_INS) {
    command.addOption(
      new Option(`--${o.flag}`, `the app has the ${o.optIn} opt-in (${o.env})`).default(
        truthy(env[o.env]),
        env[o.env] ? `$${o.env}` : undefined,
      ),
    );
    command.addOption(new Option(`--no-${o.flag}`, 'it has not').hideHelp());
  }
  return command;
}

/** Flags first, then the environment `eval "$(azd env get-values)"` gives (as `npm run setup` reads it). */
export function doctorOptionsFrom(command: Command, env: NodeJS.ProcessEnv = process.env): DoctorOptions {
  const values = withSandbox(command, command.opts<DoctorFlags>(), env);
  const missing = [
    !values.tenant && '--tenant (RELEASE_GATE_TENANT_ID)',
    !values.clientId && '--client-id (RELEASE_GATE_APP_CLIENT_ID)',
    !values.functionUrl && '--function-url (RELEASE_GATE_FUNCTION_APP_URL)',
  ].filter((m): m is string => !!m);
  if (missing.length)
    throw new DoctorCannotRun(
      `Missing ${missing.join(', ')}.`,
      'eval "$(azd env get-values)" && export RELEASE_GATE_FUNCTION_APP_URL=https://$RELEASE_GATE_FUNCTION_APP_NAME.azurewebsites.net, or pass the flags',
    );
  if (!(values.cloud in CLOUDS))
    throw new DoctorCannotRun(`--cloud must be one of ${Object.keys(CLOUDS).join(', ')}.`, 'pass a known --cloud');
  const credential = values.appCredential;
  if (credential !== 'managed-identity' && credential !== 'certificate' && credential !== 'secret')
    throw new DoctorCannotRun(
      `--app-credential "${credential}" is not managed-identity, certificate or secret.`,
      'pass the RELEASE_GATE_APP_CREDENTIAL the Function App uses',
    );
  const printers = values.printers
    ?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return {
    tenant: values.tenant!,
    clientId: values.clientId!,
    adminClientId: values.adminClientId ?? values.clientId!,
    functionUrl: values.functionUrl!.replace(/\/+$/, ''),
    functionKey: values.functionKey || undefined,
    keyVaultUri: values.keyVaultUri || undefined,
    taskDefinitionId: values.taskDefinitionId || undefined,
    printers: printers?.length && printers.join(',').toLowerCase() !== 'all' ? printers : printers ? ['*'] : undefined,
    optIns: OPT_INS.filter((o) => values[camel(o.flag)] === true).map((o) => o.optIn),
    appCredential: credential,
    secretNames: {
      clientState: defaultOf('RELEASE_GATE_CLIENT_STATE_SECRET_NAME'),
      functionKey: defaultOf('RELEASE_GATE_FUNCTION_KEY_SECRET_NAME'),
      appSecret: defaultOf('RELEASE_GATE_APP_SECRET_NAME'),
      appCertificate: defaultOf('RELEASE_GATE_APP_CERTIFICATE_NAME'),
    },
    json: !!values.json,
    cloud: values.cloud as keyof typeof CLOUDS,
    authorityHost: values.authorityHost || undefined,
    graphBaseUrl: values.graphBaseUrl || undefined,
    ...(values.sandbox ? { sandbox: true } : {}),
  };
}

/** The options from a command line, as `npm run doctor` reads it (for tests). */
export function parseDoctorArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DoctorOptions {
  const command = addDoctorOptions(new Command().exitOverride().configureOutput({ writeErr: () => undefined }), env);
  command.parse(argv, { from: 'user' });
  return doctorOptionsFrom(command, env);
}
