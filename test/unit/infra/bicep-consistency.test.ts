import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseSettings } from '../../../src/config/load-settings';
import { settingNames } from '../../../src/config/settings';
import { TRIGGER_RECORD_TABLE } from '../../../src/setup/trigger-record';
import {
  appRegistrationOf,
  graphPermission,
  GRAPH_PERMISSIONS,
  PERMISSION_OPT_INS,
  type GraphPermission,
} from '../../../src/graph/app-permissions';
import { BODY_LIMITS } from '../../../src/http/body-cap';
import { MAX_BODY_BYTES } from '../../../src/webhook/read-notification-collection';
import { SUBSCRIPTION_HEALTHY_METRIC } from '../../../src/observability/metrics';
import { GRAPH_HOST_KEY_NAME } from '../../../sandbox/host/host-keys';

/**
 * No Bicep compiler runs here, so the templates are checked as text against the code: what the
 * settings schema needs is provisioned, roles and Graph permissions are the ones the code uses,
 * and none of the known mistakes (keys, Flex-incompatible settings) is present.
 */
const root = path.resolve(__dirname, '../../..');
const infra = path.join(root, 'infra');
const files = [
  path.join(infra, 'main.bicep'),
  ...readdirSync(path.join(infra, 'modules')).map((f) => path.join(infra, 'modules', f)),
];
const read = (file: string) => readFileSync(file, 'utf8');
const all = files.map(read).join('\n');
const resources = read(path.join(infra, 'modules', 'resources.bicep'));
const withoutComments = (text: string) => text.replace(/\/\/.*$/gm, '');

function appSettingsBlock(): Record<string, string> {
  const block = /resource appSettings [^{]+\{[\s\S]*?properties: \{([\s\S]*?)\n {2}\}\n\}/.exec(resources)?.[1];
  if (!block) throw new Error('appsettings block not found');
  return Object.fromEntries(
    [...withoutComments(block).matchAll(/^\s*([A-Za-z0-9_]+):\s*(.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()]),
  );
}

/** A plausible value for each provisioned setting, as Azure would resolve the Bicep expression. */
function resolved(name: string, expression: string): string {
  const literal = /^'([^']*)'$/.exec(expression)?.[1];
  if (literal !== undefined && !literal.includes('${')) return literal;
  if (/ServiceUri$/.test(name)) return 'https://strgtoken.queue.core.windows.net/';
  if (/_URL$/.test(name)) return 'https://func-release-gate-token.azurewebsites.net/api/x';
  if (name === 'RELEASE_GATE_KEY_VAULT_URI') return 'https://kv-rg-token.vault.azure.net/';
  if (/clientid$|client_id$|tenant_id$|definition_id$/i.test(name)) return '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b';
  if (name === 'RELEASE_GATE_CLOUD') return 'global';
  if (name === 'RELEASE_GATE_FAIL_SAFE_ACTION') return 'release';
  if (name === 'RELEASE_GATE_PAGE_COUNTING' || name === 'RELEASE_GATE_DELEGATION') return 'off';
  // Messages off unless allowMessages (then every kind and the sender mailbox).
  if (name === 'RELEASE_GATE_MESSAGES' || name === 'RELEASE_GATE_MESSAGE_SENDER') return '';
  return 'value';
}

describe('infra/ templates against the code', () => {
  const settings = appSettingsBlock();

  it('provisions only settings the schema declares', () => {
    for (const name of Object.keys(settings)) expect(settingNames).toContain(name);
  });

  it('provisions every setting the app needs to start in Azure', () => {
    const env = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, resolved(k, v)]));
    expect(() => parseSettings(env)).not.toThrow();
    expect(parseSettings(env)).toMatchObject({
      RELEASE_GATE_SECRET_SOURCE: 'keyvault',
      RELEASE_GATE_APP_CREDENTIAL: 'managed-identity',
    });
  });

  it('puts no secret in app settings and uses no storage keys or connection strings', () => {
    for (const name of Object.keys(settings)) expect(name).not.toMatch(/CLIENT_STATE$|APP_SECRET$|PASSWORD|KEY$/);
    expect(all).not.toMatch(/listKeys\(|AccountKey=|primaryKey|DefaultEndpointsProtocol/);
    expect(Object.keys(settings)).not.toContain('AzureWebJobsStorage');
    expect(resources).toMatch(/allowSharedKeyAccess: false/);
    expect(resources).toMatch(/enableRbacAuthorization: true/);
    expect(resources).toMatch(/enablePurgeProtection: true/);
    expect(resources).toMatch(/DisableLocalAuth: true/);
  });

  it('sets nothing the Flex Consumption plan rejects', () => {
    for (const banned of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'WEBSITE_CONTENTSHARE',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'SCM_DO_BUILD_DURING_DEPLOYMENT',
      'ENABLE_ORYX_BUILD',
      'WEBSITE_TIME_ZONE',
      'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
      'linuxFxVersion',
      'alwaysOn',
    ]) {
      expect(withoutComments(all)).not.toContain(banned);
    }
    expect(resources).toMatch(/tier: 'FlexConsumption', name: 'FC1'/);
    expect(resources).toMatch(/runtime: \{ name: 'node', version: '22' \}/);
  });

  it('uses only known built-in role ids, each assigned with principalType', () => {
    const builtIn: Record<string, string> = {
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
      '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
      '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
      'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
      '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
    };
    const rolesBlock = /var roles = \{([\s\S]*?)\}/.exec(resources)?.[1] ?? '';
    const ids = [...rolesBlock.matchAll(/'([0-9a-f-]{36})'/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(6);
    for (const id of ids) expect(Object.keys(builtIn)).toContain(id);
    const assignments = resources.match(/Microsoft\.Authorization\/roleAssignments@/g) ?? [];
    expect((resources.match(/principalType: '/g) ?? []).length).toBe(assignments.length);
    // Every assignment is scoped to one resource, never to the resource group or subscription.
    expect((resources.match(/^\s+scope: (storage|vault|appInsights)$/gm) ?? []).length).toBe(assignments.length);
  });

  const graphApp = read(path.join(infra, 'modules', 'graph-app.bicep'));
  const pairs = (block: string) =>
    Object.fromEntries([...block.matchAll(/name: '([^']+)', id: '([^']+)'/g)].map((m) => [m[1], m[2]]));
  const declared = (kind: GraphPermission['kind'], optIn?: string) =>
    Object.fromEntries(
      GRAPH_PERMISSIONS.filter((p) => p.kind === kind && p.optIn === optIn).map((p) => [p.name, p.id]),
    );

  it('grants the Graph application permissions src/graph/app-permissions.ts declares, and no more', () => {
    const block = /var applicationPermissions = \[([\s\S]*?)\n\]/.exec(graphApp)?.[1] ?? '';
    expect(pairs(block)).toEqual(declared('application'));
    // Microsoft Graph's ids (shared reference §4 and the permissions reference); reading jobs needs a read
    // permission of its own: Get/List printJob do not list PrintJob.Manage.All.
    expect(pairs(block)).toMatchObject({
      'PrintJob.ReadBasic.All': 'fbf67eee-e074-4ef7-b965-ab5ce1c1f689',
      'PrintJob.Manage.All': '58a52f47-9e36-4b17-9ebe-ce4ef7f3e6c8',
      'Printer.Read.All': '9709bb33-4549-49d4-8ed9-a8f65e45bb0f',
    });
    const printApi = read(path.join(root, 'src', 'graph', 'print-api.ts'));
    expect(printApi).toMatch(/\/redirect/);
    expect(printApi).toMatch(/\/abort/);
    expect(printApi).not.toMatch(/\/cancel|\/release'/); // delegated-only calls would need user tokens
    expect(printApi).toMatch(/checkMemberGroups/);
    expect(printApi).toMatch(/findUserByAttribute/);
    expect(graphApp).toMatch(/federatedIdentityCredentials/);
    expect(graphApp).toMatch(/api:\/\/AzureADTokenExchange/);
  });

  it('grants each opt-in permission only behind its Bicep parameter, set from its azd variable', () => {
    const main = read(path.join(infra, 'main.bicep'));
    const parameters = read(path.join(infra, 'main.parameters.json'));
    const optIns = [...new Set(GRAPH_PERMISSIONS.flatMap((p) => (p.optIn ? [p.optIn] : [])))];
    expect(optIns.sort()).toEqual(Object.keys(PERMISSION_OPT_INS).sort());
    for (const optIn of optIns) {
      const conditional = new RegExp(`= ${optIn} \\? \\[([^\\]]*)\\] : \\[\\]`).exec(graphApp)?.[1] ?? '';
      expect({ optIn, granted: pairs(conditional) }).toEqual({ optIn, granted: declared('application', optIn) });
      expect(graphApp).toMatch(new RegExp(`^param ${optIn} bool$`, 'm'));
      expect(main).toMatch(new RegExp(`^param ${optIn} bool = false$`, 'm'));
      expect(main).toMatch(new RegExp(`^\\s+${optIn}: ${optIn}$`, 'm'));
      expect(parameters).toContain(`"${optIn}": { "value": "\${${PERMISSION_OPT_INS[optIn]}=false}" }`);
    }
    const granted = /var grantedApplicationPermissions = union\(([^)]*)\)/.exec(graphApp)?.[1] ?? '';
    expect(granted.split(',').map((s) => s.trim()).length).toBe(optIns.length + 1);
  });

  it('consents the delegated permissions the admin tools use: the simulator enforces the same ones', () => {
    const block = /var delegatedPermissions = \[([\s\S]*?)\n\]/.exec(graphApp)?.[1] ?? '';
    const onBehalfOf = /var onBehalfOfPermissions = \[([\s\S]*?)\n\]/.exec(graphApp)?.[1] ?? '';
    const on = (registration: 'app' | 'admin') =>
      Object.fromEntries(
        Object.entries(declared('delegated')).filter(
          ([name]) => appRegistrationOf(graphPermission(name, 'delegated')) === registration,
        ),
      );
    expect(pairs(block)).toEqual(on('admin'));
    expect(pairs(onBehalfOf)).toEqual(on('app'));
    const routes = read(path.join(root, 'sandbox', 'simulator', 'graph-routes.ts'));
    expect(routes).toMatch(
      /requireDelegated\(request\.claims, 'Create printerShare', \['PrinterShare\.ReadWrite\.All'\]\)/,
    );
    expect(read(path.join(root, 'admin', 'setup', 'admin-sign-in.ts'))).toMatch(
      /scope: `\$\{cloud\.graph\}\/\.default`/,
    );
  });

  it("lists in the README's permission table exactly the Graph permissions the code declares", () => {
    const readme = read(path.join(root, 'README.md'));
    const section = /\n### Permissions\n([\s\S]*?)\n#/.exec(readme)?.[1] ?? '';
    const rows = [...section.matchAll(/^\| `([^`]+)` \| ([^|]+) \|/gm)].map((m) => ({
      name: m[1]!,
      type: m[2]!.trim(),
    }));
    const expected = GRAPH_PERMISSIONS.map((p) => ({
      name: p.name,
      type: `${p.kind}${p.tool ? `, ${p.tool} only` : ''}${p.optIn ? `, opt-in (\`${PERMISSION_OPT_INS[p.optIn]}=true\`)` : ''}`,
    }));
    // Release Gate's own scope (Release.Use) is written `Release.Use` (…) and is not a Graph permission.
    expect(rows).toEqual(expected);
  });

  it('marks secret parameters @secure() and uses every parameter', () => {
    for (const file of files) {
      const text = withoutComments(read(file));
      for (const match of text.matchAll(/^param (\w+) /gm)) {
        const name = match[1]!;
        const uses = text.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
        expect({ file: path.basename(file), name, used: uses > 1 }).toEqual({
          file: path.basename(file),
          name,
          used: true,
        });
        if (/secret|password|clientState|key$/i.test(name)) {
          const before = text.slice(0, match.index);
          expect(before.trimEnd().split('\n').slice(-3).join('\n')).toMatch(/@secure\(\)/);
        }
      }
    }
  });

  it('main.parameters.json covers main.bicep parameters exactly (but those with defaults may be left out)', () => {
    const main = withoutComments(read(path.join(infra, 'main.bicep')));
    const params = [...main.matchAll(/^param (\w+) (\w+)( = .*)?$/gm)].map((m) => ({
      name: m[1]!,
      hasDefault: !!m[3],
    }));
    const file = JSON.parse(read(path.join(infra, 'main.parameters.json'))) as { parameters: Record<string, unknown> };
    for (const key of Object.keys(file.parameters)) expect(params.map((p) => p.name)).toContain(key);
    for (const p of params.filter((p) => !p.hasDefault)) expect(Object.keys(file.parameters)).toContain(p.name);
  });

  it('names the queue, poison queue and tables the code defaults to', () => {
    const defaults = parseSettings({
      RELEASE_GATE_TENANT_ID: '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b',
      RELEASE_GATE_TASK_DEFINITION_ID: '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b',
      RELEASE_GATE_APP_CLIENT_ID: '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b',
      RELEASE_GATE_KEY_VAULT_URI: 'https://kv.vault.azure.net/',
      AzureWebJobsStorage__queueServiceUri: 'https://s.queue.core.windows.net/',
    });
    expect(resources).toContain(`var taskQueueName = '${defaults.RELEASE_GATE_TASK_QUEUE}'`);
    expect(resources).toContain("name: '${taskQueueName}-poison'");
    expect(resources).toContain(`var auditTableName = '${defaults.RELEASE_GATE_AUDIT_TABLE}'`);
    expect(resources).toContain(`var holdTableName = '${defaults.RELEASE_GATE_HOLD_TABLE}'`);
    expect(resources).toContain(`var taskIndexTableName = '${defaults.RELEASE_GATE_TASK_INDEX_TABLE}'`);
    expect(resources).toContain(`var controlQueueName = '${defaults.RELEASE_GATE_CONTROL_QUEUE}'`);
    expect(resources).toContain(`var messageQueueName = '${defaults.RELEASE_GATE_MESSAGE_QUEUE}'`);
    expect(resources).toContain("name: '${messageQueueName}-poison'");
    expect(resources).toContain(`var messageTableName = '${defaults.RELEASE_GATE_MESSAGE_TABLE}'`);
    expect(resources).toContain(`var pinTableName = '${defaults.RELEASE_GATE_PIN_TABLE}'`);
    expect(resources).toContain(`var quotaTableName = '${defaults.RELEASE_GATE_QUOTA_TABLE}'`);
    expect(resources).toContain(`var triggerRecordTableName = '${TRIGGER_RECORD_TABLE}'`);
    expect(resources).toContain(`var clientStateSecretName = '${defaults.RELEASE_GATE_CLIENT_STATE_SECRET_NAME}'`);
  });

  it('provisions the function key Graph sends: a host key, the same value as the Key Vault secret the app reads', () => {
    const defaults = parseSettings({
      RELEASE_GATE_TENANT_ID: '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b',
      RELEASE_GATE_APP_CLIENT_ID: '6a0f3c2e-1b4d-4e8f-9a7b-2c3d4e5f6a7b',
      RELEASE_GATE_KEY_VAULT_URI: 'https://kv.vault.azure.net/',
      AzureWebJobsStorage__queueServiceUri: 'https://s.queue.core.windows.net/',
    });
    const secretName = defaults.RELEASE_GATE_FUNCTION_KEY_SECRET_NAME;
    expect(resources).toContain(`var functionKeySecretName = '${secretName}'`);
    expect(resources).toMatch(
      /resource functionKey 'secrets' = \{\s*name: functionKeySecretName\s*properties: \{\s*value: notificationFunctionKey/,
    );
    expect(settings.RELEASE_GATE_FUNCTION_KEY_SECRET_NAME).toBe('functionKeySecretName');
    // The host key: named as the sandbox names it, holding the same value.
    expect(resources).toContain(`var graphHostKeyName = '${GRAPH_HOST_KEY_NAME}'`);
    expect(resources).toMatch(
      /resource graphHostKey 'Microsoft\.Web\/sites\/host\/functionKeys@[\d-]+' = \{\s*name: '\$\{functionApp\.name\}\/default\/\$\{graphHostKeyName\}'\s*properties: \{\s*name: graphHostKeyName\s*value: notificationFunctionKey/,
    );
    const main = read(path.join(infra, 'main.bicep'));
    expect(main).toMatch(
      /@secure\(\)\n@minLength\(15\)\n@description\([^\n]*\)\nparam notificationFunctionKey string\n/,
    );
    expect(main).toMatch(/notificationFunctionKey: notificationFunctionKey/);
    // azd generates the value once and reads it back from the vault on every later provision.
    const parameters = JSON.parse(read(path.join(infra, 'main.parameters.json'))) as {
      parameters: Record<string, { value: string }>;
    };
    expect(parameters.parameters.notificationFunctionKey?.value).toBe(
      `$(secretOrRandomPassword \${AZURE_KEY_VAULT_NAME} ${secretName})`,
    );
    expect(main).toMatch(/^output AZURE_KEY_VAULT_NAME string = resources\.outputs\.keyVaultName$/m);
    expect(resources).toMatch(/^output keyVaultName string = vault\.name$/m);
  });

  it('alerts on the absence of healthy subscription checks, counting the unsampled metric the keeper records', () => {
    const alerts = read(path.join(infra, 'modules', 'alerts.bicep'));
    expect(alerts).toContain(`var healthyMetric = '${SUBSCRIPTION_HEALTHY_METRIC}'`);
    const rule = /\{\s*name: 'subscription-unhealthy'([\s\S]*?)\n {2}\}/.exec(alerts)?.[1] ?? '';
    const query = /query: '(.*)'\n/.exec(rule)?.[1] ?? '';
    expect(query).toMatch(/^customMetrics \| where name == \\'\$\{healthyMetric\}\\'/);
    // No rows at all must still give one row: summarize count() without `by`, then keep it when 0.
    expect(query).toMatch(/\| summarize healthyChecks = count\(\) \| where healthyChecks == 0$/);
    expect(query).not.toMatch(/ by /);
    expect(rule).toMatch(/threshold: 0/);
    expect(alerts).toMatch(/operator: 'GreaterThan'/);
    // The window spans several keeper runs (every 30 minutes), so one late run does not fire it.
    const schedule = /schedule: '([^']+)'/.exec(read(path.join(root, 'functions', 'maintain-subscription.ts')))?.[1];
    expect(schedule).toBe('0 */30 * * * *');
    expect(rule).toMatch(/windowSize: 'PT2H'/);
    // Metrics are never sampled; traces are (host.json), which is why the count is on a metric.
    const hostJson = JSON.parse(read(path.join(root, 'host.json'))) as {
      logging: { applicationInsights: { samplingSettings: { isEnabled: boolean } } };
    };
    expect(hostJson.logging.applicationInsights.samplingSettings.isEnabled).toBe(true);
    expect(read(path.join(root, 'src', 'upkeep', 'upkeep-jobs.ts'))).toMatch(/signals = deps.metrics/);
  });

  it('alerts watch events the code really logs', () => {
    const alerts =
      read(path.join(infra, 'modules', 'alerts.bicep')) + read(path.join(infra, 'modules', 'workbook.bicep'));
    const events = [...alerts.matchAll(/"event":"([a-z.-]+)"/g)].map((m) => m[1]!);
    expect(events.length).toBeGreaterThanOrEqual(4);
    const source = readdirSync(path.join(root, 'src'), { recursive: true })
      .filter((f) => String(f).endsWith('.ts'))
      .map((f) => read(path.join(root, 'src', String(f))))
      .join('\n');
    for (const event of new Set(events))
      expect({ event, logged: source.includes(`'${event}'`) }).toEqual({ event, logged: true });
  });

  it('shows fail-safe decisions by printer, grouped by the printerId field the code logs and counts', () => {
    const workbook = read(path.join(infra, 'modules', 'workbook.bicep'));
    const alerts = read(path.join(infra, 'modules', 'alerts.bicep'));
    const src = (...parts: string[]) => read(path.join(root, 'src', ...parts));
    // The events the queries read carry printerId (and the fail-safe one its action and why).
    expect(src('processor', 'fail-safe.ts')).toMatch(
      /'task\.failed-safe', \{[^}]*\baction\b[^}]*\bprinterId\b[^}]*\bwhy\b/,
    );
    expect(src('processor', 'task-outcome.ts')).toMatch(/'task\.finished', \{[^}]*\bprinterId: record\.printerId/);
    // A policy that fails for good is decided by a rule the workbook recognises as a fail-safe.
    expect(src('processor', 'decide.ts')).toContain("rule: 'fail-safe: policy error'");
    expect(workbook).toMatch(
      /var failSafe = [^\n]*"event":"task\.failed-safe"[^\n]*"rule":"fail-safe[^\n]*printer = tostring\(e\.printerId\)/,
    );
    expect(workbook).toMatch(
      /title: 'Fail-safe decisions by printer'\s+query: '\$\{failSafe\} \| summarize [^']* by printer /,
    );
    const rule = /\{\s*name: 'fail-safe-by-printer'([\s\S]*?)\n {2}\}/.exec(alerts)?.[1] ?? '';
    expect(rule).toMatch(
      /"event":"task\.failed-safe"[^\n]*by printer = tostring\(e\.printerId\), action = tostring\(e\.action\)/,
    );
    // The decision metric has the printer as a dimension too.
    expect(src('observability', 'metrics.ts')).toMatch(
      /decisions\.add\(1, \{ action, rule, \.\.\.\(printerId \? \{ printerId \}/,
    );
  });

  it('registers the release page for sign-in: its route as SPA redirect URI, the scope the page asks for', () => {
    const graphApp = read(path.join(infra, 'modules', 'graph-app.bicep'));
    const main = read(path.join(infra, 'main.bicep'));
    // The page is served at /api/release (functions/release-page.ts) and asks for <client id>/Release.Use.
    const pageRoute = /route: '([^']+)'/.exec(read(path.join(root, 'functions', 'release-page.ts')))?.[1];
    expect(main).toMatch(
      new RegExp(
        `var releasePageUrl = 'https://\\$\\{functionAppName\\}\\.\\$\\{appServiceDomain\\}/api/${pageRoute}'`,
      ),
    );
    expect(graphApp).toMatch(/spa: \{ redirectUris: \[releasePageUrl\] \}/);
    const scope = /\$\{settings\.clientId\}\/([A-Za-z.]+)`/.exec(
      read(path.join(root, 'src', 'release', 'release-page.ts')),
    )?.[1];
    expect(scope).toBe('Release.Use');
    expect(graphApp).toContain(`var releaseScope = '${scope}'`);
    expect(graphApp).toMatch(/requestedAccessTokenVersion: 2/);
    // The Graph scopes the page asks for besides its own (openid profile offline_access: the 24 h refresh
    // token) are registered and consented on the main app, so no user meets a consent prompt.
    const pageScopes = /const SCOPES = `([^`$]+)\$\{config\.scope\}`/.exec(
      read(path.join(root, 'web', 'release', 'release.js')),
    )?.[1];
    const signIn = /var signInPermissions = \[([^\]]+)\]/.exec(graphApp)?.[1] ?? '';
    expect(pageScopes?.trim().split(' ').sort()).toEqual(
      [...signIn.matchAll(/name: '([^']+)'/g)].map((m) => m[1]).sort(),
    );
    expect(graphApp).toContain("scope: join(map(concat(onBehalfOfPermissions, signInPermissions), p => p.name), ' ')");
    // The Function App is named once, in main.bicep, and passed on.
    expect(resources).not.toMatch(/var functionAppName/);
    expect(main).toMatch(/functionAppName: functionAppName/);
  });
});

describe('infra/ hardening', () => {
  const main = read(path.join(infra, 'main.bicep'));
  const graphApp = read(path.join(infra, 'modules', 'graph-app.bicep'));
  /** The body of `resource <name> '<type>' = [if (…)] {…}` up to the next top-level resource. */
  const resourceBlock = (text: string, name: string) =>
    new RegExp(`^resource ${name} '[^']+' = [^{]*\\{([\\s\\S]*?)\\n\\}`, 'm').exec(text)?.[1] ?? '';

  it('closes Key Vault and storage behind restrictNetworkAccess, reachable from the Function App subnet', () => {
    expect(main).toMatch(/^param restrictNetworkAccess bool = false$/m);
    expect(main).toMatch(/^\s+restrictNetworkAccess: restrictNetworkAccess$/m);
    expect(main).toMatch(/^param allowedIpAddresses array = \[\]$/m);
    expect(read(path.join(infra, 'main.parameters.json'))).toContain(
      '"restrictNetworkAccess": { "value": "${RELEASE_GATE_RESTRICT_NETWORK=false}" }',
    );
    const vnet = resourceBlock(resources, 'vnet');
    expect(resources).toMatch(
      /^resource vnet 'Microsoft\.Network\/virtualNetworks@[\d-]+' = if \(restrictNetworkAccess\)/m,
    );
    // Flex Consumption VNet integration needs a subnet delegated to Microsoft.App/environments.
    expect(vnet).toMatch(/serviceName: 'Microsoft\.App\/environments'/);
    expect(vnet).toMatch(/service: 'Microsoft\.Storage'/);
    expect(vnet).toMatch(/service: 'Microsoft\.KeyVault'/);
    for (const name of ['storage', 'vault']) {
      const block = resourceBlock(resources, name);
      const acls = /networkAcls: restrictNetworkAccess\s*\?\s*\{([\s\S]*?)\}\s*:/.exec(block)?.[1] ?? '';
      expect({ name, acls }).toEqual({ name, acls: expect.stringMatching(/defaultAction: 'Deny'/) });
      expect(acls).toMatch(/virtualNetworkRules: \[\{ id: appSubnetId/);
      expect(acls).toMatch(/ipRules: (storage|vault)IpRules/);
      expect(block).toMatch(/dependsOn: \[vnet\]/);
    }
    const site = resourceBlock(resources, 'functionApp');
    expect(site).toMatch(/virtualNetworkSubnetId: restrictNetworkAccess \? appSubnetId : null/);
    expect(resources).toMatch(
      /var appSubnetId = resourceId\('Microsoft\.Network\/virtualNetworks\/subnets', vnetName, appSubnetName\)/,
    );
  });

  it('turns basic publishing credentials off for FTP and SCM', () => {
    for (const name of ['ftp', 'scm']) {
      expect(resources).toMatch(
        new RegExp(
          `resource \\w+ 'Microsoft\\.Web\\/sites\\/basicPublishingCredentialsPolicies@[\\d-]+' = \\{\\s*parent: functionApp\\s*name: '${name}'\\s*properties: \\{ allow: false \\}`,
        ),
      );
    }
  });

  it("has the host refuse bodies larger than every route's cap, and no larger than needed", () => {
    const limit = Number(/FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '(\d+)'/.exec(resources)?.[1]);
    expect(limit).toBeGreaterThanOrEqual(Math.max(MAX_BODY_BYTES, ...Object.values(BODY_LIMITS)));
    expect(limit).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(read(path.join(root, 'functions', 'startup.ts'))).toMatch(/^app\.setup\(\{ enableHttpStream: true \}\);$/m);
  });

  it('keeps the delegated (admin) permissions on a separate public-client app registration', () => {
    const appBlock = resourceBlock(graphApp, 'app');
    const adminBlock = resourceBlock(graphApp, 'adminApp');
    expect(appBlock).toMatch(/isFallbackPublicClient: false/);
    expect(appBlock).toMatch(
      /resourceAccess: concat\(\s*map\(grantedApplicationPermissions, p => \{ id: p\.id, type: 'Role' \}\)/,
    );
    expect(appBlock).not.toMatch(/delegatedPermissions/); // only the on-behalf-of scope the release API needs
    expect(appBlock).toMatch(
      /map\(concat\(onBehalfOfPermissions, signInPermissions\), p => \{ id: p\.id, type: 'Scope' \}\)/,
    );
    expect(resourceBlock(graphApp, 'onBehalfOfGrant')).toMatch(/clientId: servicePrincipal\.id/);
    expect(adminBlock).toMatch(/isFallbackPublicClient: true/);
    expect(adminBlock).toMatch(/resourceAccess: map\(delegatedPermissions, p => \{ id: p\.id, type: 'Scope' \}\)/);
    expect(adminBlock).not.toMatch(/Role|federatedIdentityCredentials|oauth2PermissionScopes/);
    expect(resourceBlock(graphApp, 'delegatedPermissionGrant')).toMatch(/clientId: adminServicePrincipal\.id/);
    expect(graphApp).toMatch(/^output adminAppClientId string = adminApp\.appId$/m);
    expect(main).toMatch(
      /^output RELEASE_GATE_ADMIN_APP_CLIENT_ID string = createAppRegistration \? graphApp!\.outputs\.adminAppClientId/m,
    );
    // The code says the same: the admin tools' delegated permissions belong to the admin app; application ones
    // and the release API's on-behalf-of scope to the main app.
    for (const permission of GRAPH_PERMISSIONS)
      expect(appRegistrationOf(permission)).toBe(
        permission.kind === 'delegated' && permission.tool !== 'release API' ? 'admin' : 'app',
      );
  });
});
