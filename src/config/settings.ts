import { z } from 'zod';
import { GUID_PATTERN, isGuid } from './guid';
import { parseFailSafePrinters } from './fail-safe-printers';
import { MESSAGE_KIND_NAMES, type MessageKindName } from './message-kinds';

/**
 * What happens when a plug-in condition throws or times out:
 * - `fail-safe`: the evaluation fails: the processor retries the task when it timed out or a look-up was
 *   throttled, and otherwise the fail-safe decides (and alerts);
 * - `skip-rule`: the rule that uses it does not apply, the next one is tried;
 * - `release` / `deny`: the rule that uses it decides release / deny.
 */
export const PLUGIN_FAIL_MODES = ['fail-safe', 'skip-rule', 'release', 'deny'] as const;
export type PluginFailMode = (typeof PLUGIN_FAIL_MODES)[number];

/**
 * Every app setting Release Gate reads, declared once. The README's settings table,
 * `local.settings.sample.json` and the Bicep templates are checked against this list by tests.
 *
 * Each entry is a zod schema with a `.describe()` text that says what the setting means.
 */

const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

const text = () =>
  z
    .string()
    .trim()
    .min(1)
    .refine((value) => !KEY_VAULT_REFERENCE.test(value), {
      abort: true,
      message:
        'is an unresolved Key Vault reference: the platform could not read the secret (check that the ' +
        "app's identity has the Key Vault Secrets User role and that the reference names an existing secret)",
    });
const guid = () => text().regex(GUID_PATTERN, 'must be a GUID');
const httpsUrl = () =>
  text()
    .url('must be a URL')
    .refine((v) => /^https:\/\//i.test(v), 'must be an https:// URL');
const url = () => text().url('must be a URL');
/** No fragment, or a well-formed `#sha256=` pin (see pinnedSha256 in policy-source.ts). */
const hasValidPin = (v: string) => !v.includes('#') || /#sha256=[0-9a-f]{64}$/i.test(v);

/** 127.0.0.1, localhost or [::1]: only the sandbox and Core Tools, which serve plain http. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Graph refuses subscription URLs that are not https; plain http passes only on loopback (the sandbox). */
const subscriptionUrl = () =>
  url().refine((v) => {
    try {
      const parsed = new URL(v);
      return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname));
    } catch {
      return true; // url() has said what is wrong
    }
  }, 'must be an https:// URL (Graph delivers only to https; http is allowed on 127.0.0.1, localhost and [::1])');

/** Universal Print's Graph APIs are not offered in the 21Vianet cloud (Graph docs: print pages, national clouds). */
export const UNSUPPORTED_CLOUDS: Record<string, string> = {
  china:
    'is china (21Vianet), where Microsoft Graph does not offer the Universal Print APIs; Release Gate cannot run there',
};
/** A whole number in [min, max] of `unit`; every way to miss says the same, e.g. "must be a whole number of seconds from 5 to 240". */
const integer = (min: number, max: number, unit: string) => {
  const rule = { error: `must be a whole number of ${unit} from ${min} to ${max}` };
  return z.coerce.number(rule).int(rule).min(min, rule).max(max, rule);
};

/**
 * Settings whose values are secrets (keys, client secrets, clientState, connection strings, the
 * terminals' key hashes): an error about one never shows its value. The `…_SECRET_NAME` settings
 * name a secret in Key Vault and are not secret themselves.
 */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  'RELEASE_GATE_FUNCTION_KEY',
  'RELEASE_GATE_TERMINALS',
  'RELEASE_GATE_CLIENT_STATE',
  'RELEASE_GATE_CLIENT_STATE_PREVIOUS',
  'RELEASE_GATE_APP_SECRET',
  'AzureWebJobsStorage',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
]);

/** Storage queue names: 3-63 lowercase letters, digits and single hyphens. */
const queueName = () => text().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid storage queue name');

/** Table names: 3-63 letters and digits, starting with a letter. */
const tableName = () => text().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be a valid table name');

/** A badge format an admin may set: a single character class and a length range, nothing that can backtrack. */
function isBadgePattern(value: string): boolean {
  const parts = /^\^\[([^\]\\]+)\]\{(\d{1,3}),(\d{1,3})\}\$$/.exec(value);
  if (!parts) return false;
  const [min, max] = [Number(parts[2]), Number(parts[3])];
  try {
    new RegExp(value);
  } catch {
    return false;
  }
  return min >= 1 && min <= max && max <= 256;
}

/** Every setting, each on its own; {@link settingsSchema} adds the rules that span settings. */
export const settingsObject = z.object({
  RELEASE_GATE_TENANT_ID: guid().describe(
    'Directory (tenant) id of the Universal Print tenant. Notifications for any other tenant are discarded.',
  ),
  RELEASE_GATE_TASK_DEFINITION_ID: guid()
    .optional()
    .describe(
      'Id of our printTaskDefinition (printed by the set-up CLI). Until it is set, no subscription is made and ' +
        'notifications are discarded; notifications for other definitions always are.',
    ),
  RELEASE_GATE_TASK_QUEUE: queueName()
    .default('print-tasks')
    .describe('Storage queue that carries accepted print tasks from the webhook to the processor.'),
  RELEASE_GATE_AUDIT_TABLE: tableName()
    .default('releasegateaudit')
    .describe('Table storing one audit record per decision (no document content, no secrets).'),
  RELEASE_GATE_QUOTA_TABLE: tableName()
    .default('releasegatequotas')
    .describe(
      "Table of print quota usage: one row per user, quota and period (counts only), each job's charge, and the " +
        'admin audit of top-ups and resets. No document content.',
    ),
  RELEASE_GATE_HOLD_TABLE: tableName()
    .default('releasegateholds')
    .describe('Table of jobs held for release at a printer, with owner and expiry.'),
  RELEASE_GATE_TASK_INDEX_TABLE: tableName()
    .default('releasegatetasks')
    .describe('Table of the tasks Release Gate has seen and handled; the reconciler reads it.'),
  RELEASE_GATE_TASK_LEASE_SECONDS: integer(5, 240, 'seconds')
    .default(60)
    .describe(
      "Lease of a task's claim (one run acts on a task across instances): renewed every third of it while the " +
        "run lives, so a dead run's task is taken over this long after its last renewal.",
    ),
  RELEASE_GATE_CONTROL_QUEUE: queueName()
    .default('release-gate-control')
    .describe('Storage queue for upkeep work (renew or recreate the subscription, reconcile now).'),
  RELEASE_GATE_NOTIFICATION_URL: subscriptionUrl()
    .optional()
    .describe(
      'Public https URL of the notifications function, e.g. https://<app>.azurewebsites.net/api/notifications; ' +
        'the subscription keeper subscribes it, adding the function key (http only on loopback).',
    ),
  RELEASE_GATE_LIFECYCLE_URL: subscriptionUrl()
    .optional()
    .describe(
      'Public https URL of the lifecycle function (…/api/lifecycle) for reauthorization events; it carries the ' +
        'function key too (http only on loopback).',
    ),
  RELEASE_GATE_FUNCTION_KEY_SECRET_NAME: text()
    .default('notification-function-key')
    .describe(
      'Key Vault secret holding the function key Graph must send on both URLs (?code=; the deployment makes it ' +
        'the host key graph-notifications). Missing or empty: no subscription is made, and an error says why.',
    ),
  RELEASE_GATE_FUNCTION_KEY: text()
    .optional()
    .describe(
      'The function key when the secret source is settings (the sandbox sets its host key); may be unset only ' +
        'when both URLs are on loopback.',
    ),
  RELEASE_GATE_RECONCILE_GRACE_MINUTES: integer(0, 1440, 'minutes')
    .default(3)
    .describe(
      'A processing task with no notification after this long is queued by the reconciler (0: on the next run).',
    ),
  RELEASE_GATE_POLICY_MODULE: text()
    .optional()
    .describe(
      'Path of a JavaScript module exporting a release policy (`policy`: { name, decide(context) }); ' +
        'relative paths resolve from the app root. Unset: the built-in policy.',
    ),
  RELEASE_GATE_POLICY_FILE: text()
    .optional()
    .describe('Declarative policy (JSON) in the deployment package; relative paths resolve from the app root.'),
  RELEASE_GATE_POLICY_JSON: text()
    .optional()
    .describe('Declarative policy given inline as JSON (takes precedence over the file).'),
  RELEASE_GATE_POLICY_URL: httpsUrl()
    .refine(hasValidPin, 'the fragment must be #sha256= and the 64 hex digits of the policy file’s SHA-256')
    .optional()
    .describe(
      'Declarative policy fetched over HTTPS (an Azure blob is read with the managed identity); a changed ' +
        'policy is picked up without redeploying. End it with #sha256=<hex> to pin the content: another ' +
        'file is refused and the last good one stays in force.',
    ),
  RELEASE_GATE_POLICY_RELOAD_SECONDS: integer(1, 86400, 'seconds')
    .default(60)
    .describe('How often the policy file or URL is checked for changes.'),
  RELEASE_GATE_POLICY_SHADOW_MODE: z
    .enum(['true', 'false'])
    .optional()
    .describe("Overrides the policy's shadowMode: decide and record, but release every job."),
  RELEASE_GATE_POLICY_PLUGIN_FAIL_MODE: z
    .enum(PLUGIN_FAIL_MODES)
    .default('fail-safe')
    .describe(
      'When a plug-in condition throws or times out: fail-safe (the evaluation fails: a time-out is retried, ' +
        'an error gets the fail-safe), ' +
        'skip-rule (the rule does not apply), or release / deny (the rule decides so).',
    ),
  RELEASE_GATE_POLICY_TIMEOUT_MS: integer(10, 60000, 'milliseconds')
    .default(2000)
    .describe(
      'Longest a policy may take to decide; past it the task is retried through the queue (the fail-safe ' +
        'decides only when every try failed). Its look-ups wait out a Graph Retry-After of at most half this.',
    ),
  RELEASE_GATE_POLICY_PLUGIN_TIMEOUT_MS: integer(5, 60000, 'milliseconds')
    .optional()
    .describe(
      'Longest one plug-in condition may take before its fail mode applies (default: half the policy time limit; ' +
        'must be below RELEASE_GATE_POLICY_TIMEOUT_MS).',
    ),
  RELEASE_GATE_USER_TOKEN_AUDIENCES: text()
    .optional()
    .describe(
      "Comma-separated audiences accepted in users' tokens for the release API (default: the app client id " +
        'and api://<app client id>).',
    ),
  RELEASE_GATE_RELEASE_PAGE_SCOPE: text()
    .optional()
    .describe(
      'The API scope the release page signs users in for (default <app client id>/Release.Use, the scope the ' +
        'Bicep app registration exposes).',
    ),
  RELEASE_GATE_RELEASE_PRINTERS: text()
    .refine((v) => {
      try {
        const ids = JSON.parse(v) as unknown;
        return Array.isArray(ids) && ids.every((id) => typeof id === 'string' && isGuid(id));
      } catch {
        return false;
      }
    }, 'must be a JSON array of printer ids')
    .optional()
    .describe(
      'JSON array of the printer ids where held jobs may be released (the physical release printers). Unset: ' +
        'a printer whose Universal Print share the user may use (read as the user; PrinterShare.Read.All).',
    ),
  RELEASE_GATE_TERMINALS_SECRET_NAME: text()
    .default('release-terminals')
    .describe(
      'Secret holding the release terminals as JSON: [{ "id", "printerId", "keySha256" }]; each terminal has ' +
        'its own key and releases only to its own printer.',
    ),
  RELEASE_GATE_TERMINALS: text()
    .optional()
    .describe('The terminals JSON when the secret source is settings (local runs and the sandbox).'),
  RELEASE_GATE_BADGE_ATTRIBUTE: text()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be an attribute name such as employeeId')
    .default('employeeId')
    .describe('Entra ID user attribute a badge number is looked up by (needs User.Read.All).'),
  RELEASE_GATE_BADGE_PATTERN: text()
    .refine(isBadgePattern, 'must be ^[<characters>]{<min>,<max>}$ (one character class, 1 to 256 long)')
    .default('^[A-Za-z0-9-]{1,64}$')
    .describe(
      'Format of a badge number at terminals: one character class and a length, e.g. ^[0-9]{6,10}$. Anything ' +
        'else is refused with 400 before any look-up.',
    ),
  RELEASE_GATE_PIN_MIN_LENGTH: integer(6, 12, 'digits')
    .default(6)
    .describe(
      'Fewest digits in a release PIN (6 to 12; PINs have at most 12). Repeats, runs and common PINs are refused.',
    ),
  RELEASE_GATE_TERMINAL_SIGN_IN: z
    .enum(['badge-or-pin', 'badge-and-pin'])
    .default('badge-or-pin')
    .describe(
      'How users sign in at terminals: "badge-or-pin" (a badge alone, or user name and PIN) or "badge-and-pin" ' +
        '(a badge and the PIN, both required).',
    ),
  RELEASE_GATE_PIN_TABLE: tableName()
    .default('releasegatepins')
    .describe("Table of users' release PINs (slow salted hashes only) and failed terminal sign-ins."),
  RELEASE_GATE_FAIL_SAFE_ACTION: z
    .enum(['release', 'deny'])
    .default('release')
    .describe(
      'What happens to a job Release Gate cannot decide on (a broken policy, a missing permission, a task that ' +
        'failed every retry): release it (printing keeps working) or deny it (nothing prints unchecked). ' +
        'Pull queues and printers the policy holds or denies jobs on are denied unless ' +
        'RELEASE_GATE_FAIL_SAFE_PRINTERS says otherwise.',
    ),
  RELEASE_GATE_FAIL_SAFE_PRINTERS: text()
    .superRefine((value, ctx) => {
      const parsed = parseFailSafePrinters(value);
      // Each message names the bad entry itself: the whole value is not repeated.
      if (!parsed.ok)
        for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message, params: { echoed: true } });
    })
    .optional()
    .describe(
      'The fail-safe action per printer or group of printers, as JSON: { "<printer id>": "deny", "HR *": ' +
        '"deny", "Library*": "release" }. A GUID key is a printer id, any other key a display-name pattern ' +
        '(* wildcard); an id wins over a pattern, then the first pattern that matches. A pull queue is never ' +
        'released by the fail-safe.',
    ),
  RELEASE_GATE_GRAPH_MAX_RETRY_AFTER_SECONDS: integer(0, 180, 'seconds')
    .default(10)
    .describe(
      'Longest Retry-After the processor waits for in-process; longer throttling returns the task to the ' +
        'queue, delayed by Retry-After, instead of blocking an instance.',
    ),
  RELEASE_GATE_PAGE_COUNTING: z
    .enum(['off', 'on'])
    .default('off')
    .describe(
      "on: for policies with a pages quota, each job's document is downloaded at decision time, its pages " +
        'counted in memory (PDF, OXPS/XPS, PWG raster) and the document dropped; only the count is kept. Needs ' +
        'the application permission PrintJob.Read.All (RELEASE_GATE_ALLOW_PAGE_COUNTING=true in azd). off: pages ' +
        'are charged one per copy.',
    ),
  RELEASE_GATE_PAGE_COUNTING_MAX_BYTES: integer(1_048_576, 268_435_456, 'bytes')
    .default(52_428_800)
    .describe(
      "Largest document page counting downloads (held in memory while counted); a larger one's pages are " +
        'unknown and charged one per copy. Default 50 MiB.',
    ),
  RELEASE_GATE_MESSAGES: z
    .string()
    .trim()
    .transform((v, ctx) => {
      const kinds = v
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      const unknown = kinds.filter((k) => !(MESSAGE_KIND_NAMES as readonly string[]).includes(k));
      if (unknown.length)
        ctx.addIssue({
          code: 'custom',
          message: `has unknown message kinds ${unknown.join(', ')}; expected some of ${MESSAGE_KIND_NAMES.join(', ')}`,
        });
      return [...new Set(kinds)] as MessageKindName[];
    })
    .optional()
    .describe(
      'Comma-separated kinds of message users get by email (opt-in, none when unset): ' +
        `${MESSAGE_KIND_NAMES.join(', ')}. Needs RELEASE_GATE_MESSAGE_SENDER and the application permission ` +
        'Mail.Send, scoped to that mailbox (RELEASE_GATE_ALLOW_MESSAGES=true in azd; see the README).',
    ),
  RELEASE_GATE_MESSAGE_SENDER: text()
    .email('must be a mailbox address')
    .optional()
    .describe('The mailbox messages are sent from (its address or UPN); the app may send only as this mailbox.'),
  RELEASE_GATE_MESSAGE_QUEUE: queueName()
    .default('releasegate-messages')
    .describe('Queue of messages waiting to be sent; a message that keeps failing is parked in <name>-poison.'),
  RELEASE_GATE_MESSAGE_TABLE: tableName()
    .default('releasegatemessages')
    .describe('Table recording which messages were sent (a redelivered one is not sent twice).'),
  RELEASE_GATE_EXPIRY_WARNING_MINUTES: integer(5, 1440, 'minutes')
    .default(60)
    .describe(
      'How long before a hold expires its owner is warned (message kind expiry-warning), with a link that keeps ' +
        'the job longer where its policy allows.',
    ),
  RELEASE_GATE_RELEASE_PAGE_URL: httpsUrl()
    .optional()
    .describe(
      'The release page address in messages (default: /api/release on the host of RELEASE_GATE_NOTIFICATION_URL).',
    ),
  RELEASE_GATE_DELEGATION: z
    .enum(['off', 'on'])
    .default('off')
    .describe(
      'on: users may name delegates on the release page (found in the directory) and hand a held job to a ' +
        'colleague; needs the application permission User.ReadBasic.All (RELEASE_GATE_ALLOW_DELEGATION=true in azd).',
    ),
  RELEASE_GATE_DELEGATION_TABLE: tableName()
    .default('releasegatedelegates')
    .describe('Table of delegates and jobs handed to a colleague.'),
  RELEASE_GATE_USER_ACTION_TABLE: tableName()
    .default('releasegateuseractions')
    .describe('Audit of what users did on the release page: keep longer, delegates named and revoked, hand-overs.'),
  RELEASE_GATE_PRINTER_STATUS_CACHE_SECONDS: integer(0, 300, 'seconds')
    .default(30)
    .describe(
      "How long a printer's status (read before every release) is reused; a printer stopped or in error is refused.",
    ),
  RELEASE_GATE_MAX_NOTIFICATIONS_PER_REQUEST: integer(1, 10000, 'notifications')
    .default(1000)
    .describe('Largest notification batch the webhook accepts; larger batches get 400.'),

  RELEASE_GATE_SECRET_SOURCE: z
    .enum(['keyvault', 'settings'])
    .default('keyvault')
    .describe('Where secrets come from: "keyvault" (Azure) or "settings" (local runs only).'),
  RELEASE_GATE_KEY_VAULT_URI: httpsUrl()
    .optional()
    .describe('Vault URI, e.g. https://kv-name.vault.azure.net/. Required when the secret source is keyvault.'),
  RELEASE_GATE_CLIENT_STATE_SECRET_NAME: text()
    .default('graph-client-state')
    .describe('Key Vault secret holding the Graph subscription clientState; its previous version is accepted too.'),
  RELEASE_GATE_SECRET_CACHE_SECONDS: integer(0, 86400, 'seconds')
    .default(300)
    .describe('How long secrets are cached; a rotated secret is picked up within this time, without a restart.'),
  RELEASE_GATE_CLIENT_STATE: text()
    .max(128)
    .optional()
    .describe('clientState when the secret source is settings (local runs). Never set this in Azure.'),
  RELEASE_GATE_CLIENT_STATE_PREVIOUS: text()
    .max(128)
    .optional()
    .describe('The clientState before the last rotation, still accepted (settings source only).'),

  RELEASE_GATE_APP_CLIENT_ID: guid().describe(
    'Application (client) id of the Release Gate app registration that holds the Graph permissions.',
  ),
  RELEASE_GATE_APP_CREDENTIAL: z
    .enum(['managed-identity', 'certificate', 'secret'])
    .default('managed-identity')
    .describe(
      'How the app proves itself to Entra ID: "managed-identity" (secretless: the managed identity is a ' +
        'federated credential of the app registration), "certificate" or "secret" (read from the secret store).',
    ),
  RELEASE_GATE_APP_SECRET_NAME: text()
    .default('graph-app-secret')
    .describe("Secret holding the app registration's client secret, when RELEASE_GATE_APP_CREDENTIAL is secret."),
  RELEASE_GATE_APP_CERTIFICATE_NAME: text()
    .default('graph-app-certificate')
    .describe('Secret holding the PEM certificate and private key, when RELEASE_GATE_APP_CREDENTIAL is certificate.'),
  RELEASE_GATE_APP_SECRET: text()
    .optional()
    .describe('The client secret when the secret source is settings (local runs and the sandbox only).'),
  RELEASE_GATE_CLOUD: z
    .enum(['global', 'usgov', 'usgovdod', 'china'])
    .refine((cloud) => !(cloud in UNSUPPORTED_CLOUDS), {
      message: UNSUPPORTED_CLOUDS.china,
    })
    .default('global')
    .describe(
      'Microsoft cloud: global, usgov (GCC High, L4) or usgovdod (DoD, L5); sets the Graph and sign-in hosts. ' +
        'china (21Vianet) is refused: Graph offers no Universal Print APIs there.',
    ),
  RELEASE_GATE_GRAPH_BASE_URL: httpsUrl()
    .optional()
    .describe('Overrides the Graph host (e.g. the Universal Print simulator); the version is added to it.'),
  RELEASE_GATE_GRAPH_VERSION: z
    .enum(['v1.0', 'beta'])
    .default('v1.0')
    .describe('Graph API version. Every print-task API is GA in v1.0.'),
  RELEASE_GATE_AUTHORITY_HOST: httpsUrl()
    .optional()
    .describe("Overrides the Entra ID sign-in host (e.g. the simulator's identity provider)."),

  RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID: guid()
    .optional()
    .describe('Client id of the user-assigned managed identity; unset means the system-assigned identity.'),

  AzureWebJobsStorage: text()
    .optional()
    .describe('Storage connection string (local runs and Azurite). In Azure use the identity-based settings below.'),
  AzureWebJobsStorage__blobServiceUri: url()
    .optional()
    .describe('Blob service URI for identity-based storage; the Functions host keeps timer leases there.'),
  AzureWebJobsStorage__queueServiceUri: url()
    .optional()
    .describe('Queue service URI for identity-based storage access (no account keys).'),
  AzureWebJobsStorage__tableServiceUri: url()
    .optional()
    .describe('Table service URI for identity-based storage access (no account keys).'),
  AzureWebJobsStorage__credential: z
    .literal('managedidentity')
    .optional()
    .describe('"managedidentity" with identity-based storage, as the Functions host expects.'),
  AzureWebJobsStorage__clientId: guid()
    .optional()
    .describe('Client id of the user-assigned identity the Functions host and our code use for storage.'),
  APPLICATIONINSIGHTS_CONNECTION_STRING: text()
    .optional()
    .describe('Application Insights connection string; unset means no telemetry leaves the process.'),
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: text()
    .optional()
    .describe(
      'Entra ID authentication for Application Insights with local auth disabled (ClientId=…;Authorization=AAD).',
    ),
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: integer(1, 4_294_967_296, 'bytes')
    .optional()
    .describe(
      "The Functions host's own request body limit in bytes (about 100 MB when unset); the deployment sets " +
        '1048576 (1 MiB), above every route’s cap, so the host refuses larger bodies before any function runs.',
    ),
});

export const settingsSchema = settingsObject.superRefine(
  (s, ctx) => {
    if (s.RELEASE_GATE_SECRET_SOURCE === 'keyvault' && !s.RELEASE_GATE_KEY_VAULT_URI) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELEASE_GATE_KEY_VAULT_URI'],
        message: 'is required when RELEASE_GATE_SECRET_SOURCE is keyvault',
      });
    }
    if (s.RELEASE_GATE_SECRET_SOURCE === 'settings' && !s.RELEASE_GATE_CLIENT_STATE) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELEASE_GATE_CLIENT_STATE'],
        message: 'is required when RELEASE_GATE_SECRET_SOURCE is settings',
      });
    }
    if (
      s.RELEASE_GATE_SECRET_SOURCE === 'settings' &&
      s.RELEASE_GATE_APP_CREDENTIAL === 'secret' &&
      !s.RELEASE_GATE_APP_SECRET
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELEASE_GATE_APP_SECRET'],
        message: 'is required when the app credential is a secret and secrets come from settings',
      });
    }
    if (
      s.RELEASE_GATE_POLICY_PLUGIN_TIMEOUT_MS !== undefined &&
      s.RELEASE_GATE_POLICY_PLUGIN_TIMEOUT_MS >= s.RELEASE_GATE_POLICY_TIMEOUT_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELEASE_GATE_POLICY_PLUGIN_TIMEOUT_MS'],
        message: 'must be below RELEASE_GATE_POLICY_TIMEOUT_MS, or the policy times out before the fail mode applies',
      });
    }
    if (s.RELEASE_GATE_MESSAGES?.length && !s.RELEASE_GATE_MESSAGE_SENDER) {
      ctx.addIssue({
        code: 'custom',
        path: ['RELEASE_GATE_MESSAGE_SENDER'],
        message: 'is required when RELEASE_GATE_MESSAGES names kinds of message (the mailbox they are sent from)',
      });
    }
    if (!s.AzureWebJobsStorage && !s.AzureWebJobsStorage__queueServiceUri) {
      ctx.addIssue({
        code: 'custom',
        path: ['AzureWebJobsStorage'],
        message: 'or AzureWebJobsStorage__queueServiceUri is required (where the task queue lives)',
      });
    }
  },
  // Run these cross-setting rules even when single settings failed, so one error lists everything.
  { when: () => true },
);

export type Settings = z.infer<typeof settingsSchema>;

/** The names of every setting, for documentation and infrastructure checks. */
export const settingNames = Object.keys(settingsObject.shape) as (keyof Settings)[];

/** The value a setting takes when it is not set: its schema's default (undefined when it has none). */
export function settingDefault<K extends keyof Settings>(name: K): Settings[K] {
  const probe = (settingsObject.shape[name] as z.ZodType).safeParse(undefined);
  return (probe.success ? probe.data : undefined) as Settings[K];
}

/** One setting's documentation: whether it is required, its default and what it means. */
export interface SettingDoc {
  name: string;
  required: boolean;
  defaultValue?: string;
  description: string;
}

export function describeSettings(): SettingDoc[] {
  return Object.entries(settingsObject.shape).map(([name, schema]) => {
    const zodSchema = schema as z.ZodType;
    const probe = zodSchema.safeParse(undefined);
    return {
      name,
      required: !probe.success,
      defaultValue: probe.success && probe.data !== undefined ? String(probe.data) : undefined,
      description: zodSchema.description ?? '',
    };
  });
}
