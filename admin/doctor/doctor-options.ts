import { parseArgs } from 'node:util';
import { PERMISSION_OPT_INS } from '../../src/graph/app-permissions';
import { CLOUDS } from '../../src/graph/graph-endpoints';
import { settingsObject } from '../../src/config/settings';
import { DoctorCannotRun } from './report';
import { adminToolArgs } from '../setup/admin-tool-args';

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
}

/** A setting's default, from the one settings schema (the secret names the app reads). */
const defaultOf = (name: keyof typeof settingsObject.shape): string =>
  String((settingsObject.shape[name] as unknown as { parse(v: unknown): unknown }).parse(undefined));

const truthy = (value: string | undefined) => /^(true|1|yes)$/i.test(value?.trim() ?? '');

/** Flags first, then the environment `eval "$(azd env get-values)"` gives (as `npm run setup` reads it). */
export function parseDoctorArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DoctorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...adminToolArgs(env),
      'key-vault-uri': { type: 'string', default: env.RELEASE_GATE_KEY_VAULT_URI },
      'app-credential': { type: 'string', default: env.RELEASE_GATE_APP_CREDENTIAL ?? 'managed-identity' },
      json: { type: 'boolean', default: false },
      ...Object.fromEntries(
        OPT_INS.map((o) => [o.flag, { type: 'boolean' as const, default: truthy(env[o.env]) }] as const),
      ),
    },
    allowNegative: true,
  });
  const missing = [
    !values.tenant && '--tenant (RELEASE_GATE_TENANT_ID)',
    !values['client-id'] && '--client-id (RELEASE_GATE_APP_CLIENT_ID)',
    !values['function-url'] && '--function-url (RELEASE_GATE_FUNCTION_APP_URL)',
  ].filter((m): m is string => !!m);
  if (missing.length)
    throw new DoctorCannotRun(
      `Missing ${missing.join(', ')}.`,
      'eval "$(azd env get-values)" && export RELEASE_GATE_FUNCTION_APP_URL=https://$RELEASE_GATE_FUNCTION_APP_NAME.azurewebsites.net, or pass the flags',
    );
  if (!(values.cloud! in CLOUDS))
    throw new DoctorCannotRun(`--cloud must be one of ${Object.keys(CLOUDS).join(', ')}.`, 'pass a known --cloud');
  const credential = values['app-credential']!;
  if (credential !== 'managed-identity' && credential !== 'certificate' && credential !== 'secret')
    throw new DoctorCannotRun(
      '--app-credential must be managed-identity, certificate or secret.',
      'pass the RELEASE_GATE_APP_CREDENTIAL the Function App uses',
    );
  const printers = values.printers
    ?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return {
    tenant: values.tenant!,
    clientId: values['client-id']!,
    adminClientId: values['admin-client-id'] ?? values['client-id']!,
    functionUrl: values['function-url']!.replace(/\/+$/, ''),
    functionKey: values['function-key'] || undefined,
    keyVaultUri: values['key-vault-uri'] || undefined,
    taskDefinitionId: values['task-definition-id'] || undefined,
    printers: printers?.length && printers.join(',').toLowerCase() !== 'all' ? printers : printers ? ['*'] : undefined,
    optIns: OPT_INS.filter((o) => (values as Record<string, unknown>)[o.flag] === true).map((o) => o.optIn),
    appCredential: credential,
    secretNames: {
      clientState: defaultOf('RELEASE_GATE_CLIENT_STATE_SECRET_NAME'),
      functionKey: defaultOf('RELEASE_GATE_FUNCTION_KEY_SECRET_NAME'),
      appSecret: defaultOf('RELEASE_GATE_APP_SECRET_NAME'),
      appCertificate: defaultOf('RELEASE_GATE_APP_CERTIFICATE_NAME'),
    },
    json: values.json!,
    cloud: values.cloud as keyof typeof CLOUDS,
    authorityHost: values['authority-host'],
    graphBaseUrl: values['graph-base-url'],
  };
}
