import { settings } from '../config/load-settings';
import { graphEndpoints } from '../graph/graph-endpoints';
import type { Log } from '../observability/log';
import { processorDependencies } from '../processor/processor-dependencies';
import type { ReleaseApiDependencies } from './release-api';
import { scopeName, userTokenVerifier } from './user-token';
import { printerAccess, type PrinterAccessCheck } from './printer-access';
import { onBehalfOfCredential } from '../identity/on-behalf-of';
import { createGraphClient } from '../graph/graph-client';
import { tablePinStore, type PinStore } from './pin-store';
import { releasePrinterDirectory, type ReleasePrinter } from './release-printers';
import type { TerminalDependencies } from './terminal-release';
import { terminalRegistry, type TerminalList } from './terminal-registry';
import { tableAttemptLimiter, type AttemptLimiter } from './rate-limit';
import { createTableClient } from '../storage/storage-clients';
import { secretStoreFromSettings } from '../app/secret-store-from-settings';
import type { SecretStore } from '../secrets/secret-store';

let verifier: ReturnType<typeof userTokenVerifier> | undefined;
let pins: PinStore | undefined;
let attempts: AttemptLimiter | undefined;
let terminals: ((log: Log) => Promise<TerminalList>) | undefined;
let secrets: SecretStore | undefined;
let printerDirectory: (() => Promise<ReleasePrinter[]>) | undefined;
let access: PrinterAccessCheck | undefined;

/** The release API's dependencies: the processor's Graph client and stores, and the token verifier. */
export async function releaseApiDependencies(log: Log): Promise<ReleaseApiDependencies> {
  const config = settings();
  if (!verifier) {
    const audiences = config.RELEASE_GATE_USER_TOKEN_AUDIENCES?.split(',')
      .map((a) => a.trim())
      .filter(Boolean) ?? [config.RELEASE_GATE_APP_CLIENT_ID, `api://${config.RELEASE_GATE_APP_CLIENT_ID}`];
    verifier = userTokenVerifier({
      authorityHost: graphEndpoints(config).authorityHost,
      tenantId: config.RELEASE_GATE_TENANT_ID,
      audiences,
      clientId: config.RELEASE_GATE_APP_CLIENT_ID,
      requiredScope: scopeName(config.RELEASE_GATE_RELEASE_PAGE_SCOPE),
    });
  }
  const { api, holds, audit, tasks } = await processorDependencies(log);
  attempts ??= tableAttemptLimiter(createTableClient(config, config.RELEASE_GATE_PIN_TABLE));
  const limiter = attempts;
  // A user's own new PIN clears their failed terminal sign-ins everywhere.
  pins ??= tablePinStore(createTableClient(config, config.RELEASE_GATE_PIN_TABLE), {
    minLength: config.RELEASE_GATE_PIN_MIN_LENGTH,
    onPinSet: (objectId) => limiter.clearUser(objectId),
  });
  const releasePrinters = config.RELEASE_GATE_RELEASE_PRINTERS
    ? (JSON.parse(config.RELEASE_GATE_RELEASE_PRINTERS) as string[])
    : undefined;
  printerDirectory ??= releasePrinterDirectory({
    api: async () => (await processorDependencies(log)).api,
    declared: releasePrinters,
    log,
  });
  if (!releasePrinters && !access) {
    const endpoints = graphEndpoints(config);
    const userSecrets = (secrets ??= secretStoreFromSettings(config));
    // As the user, only what share access needs; no long in-process waits on a page request.
    const asUser = { ...endpoints, scope: endpoints.scope.replace(/\.default$/, 'PrinterShare.Read.All') };
    access = printerAccess({
      graphAsUser: async (token) =>
        createGraphClient(await onBehalfOfCredential(config, userSecrets, endpoints, token), asUser, {
          maxRetries: 1,
          maxRetryAfterSeconds: 2,
        }),
      memberOf: (userId, groupIds) => api.checkMemberGroups(userId, groupIds),
      log,
    });
  }
  return {
    api,
    holds,
    audit,
    tasks,
    log,
    verifyUser: verifier,
    pins,
    releasePrinters,
    listReleasePrinters: printerDirectory,
    ...(releasePrinters ? {} : { printerAccess: access }),
  };
}

/** The terminal API's dependencies: stores, the terminals (from the secret store), badge look-up. */
export async function terminalDependencies(log: Log): Promise<TerminalDependencies> {
  const config = settings();
  const base = await releaseApiDependencies(log);
  secrets ??= secretStoreFromSettings(config);
  const store = secrets;
  terminals ??= terminalRegistry(
    async () => {
      if (config.RELEASE_GATE_SECRET_SOURCE === 'settings') return config.RELEASE_GATE_TERMINALS;
      try {
        return (await store.get(config.RELEASE_GATE_TERMINALS_SECRET_NAME)).current;
      } catch (error) {
        // No such secret: no terminals are set up (every terminal is unknown), not an outage.
        if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
        throw error;
      }
    },
    { cacheMs: config.RELEASE_GATE_SECRET_CACHE_SECONDS * 1000 },
  );
  return {
    ...base,
    terminals,
    attempts: attempts!,
    userByBadge: (badge) => base.api.findUserByAttribute(config.RELEASE_GATE_BADGE_ATTRIBUTE, badge),
    badgePattern: new RegExp(config.RELEASE_GATE_BADGE_PATTERN),
    signIn: config.RELEASE_GATE_TERMINAL_SIGN_IN,
  };
}

/** Forget the verifier (tests reconfigure the process). */
export function resetReleaseApiDependencies(): void {
  verifier = undefined;
  pins = undefined;
  attempts = undefined;
  terminals = undefined;
  printerDirectory = undefined;
  secrets = undefined;
  access = undefined;
}
