import { tableAuditLog } from '../audit/audit-log';
import { parseFailSafePrinters, type FailSafePrinters } from '../config/fail-safe-printers';
import { createGraphClient } from '../graph/graph-client';
import { graphEndpoints } from '../graph/graph-endpoints';
import { MailApi } from '../graph/mail-api';
import { PrintApi } from '../graph/print-api';
import { tableHoldStore } from '../holds/hold-store';
import { appCredential } from '../identity/app-credential';
import { managedIdentityCredential } from '../identity/managed-identity';
import { onBehalfOfCredential } from '../identity/on-behalf-of';
import type { MessageOutbox } from '../messages/message-model';
import { messageOutbox, releasePageUrl } from '../messages/outbox';
import type { SendMessageDependencies } from '../messages/send-message';
import { tableSentMessages } from '../messages/sent-messages';
import type { Log } from '../observability/log';
import { loadPolicyFromSettings } from '../policy/load-policy';
import type { ProcessorDependencies } from '../processor/process-task';
import type { UsageStore } from '../quota/quota-model';
import { tableUsageStore } from '../quota/table-usage-store';
import { tablePinStore } from '../release/pin-store';
import { printerAccess, type PrinterAccessCheck } from '../release/printer-access';
import { tableAttemptLimiter } from '../release/rate-limit';
import type { ReleaseApiDependencies } from '../release/release-api';
import type { DelegatesApiDependencies } from '../release/delegates-api';
import { tableDelegationStore } from '../release/delegation-store';
import { searchLimit } from '../release/search-limit';
import { tableUserActionLog } from '../audit/user-action-log';
import { quotaStandingsReader } from '../release/quota-standings';
import { releasePrinterDirectory } from '../release/release-printers';
import { printerReadiness, type ReadinessCheck } from '../release/printer-readiness';
import { terminalRegistry } from '../release/terminal-registry';
import type { TerminalDependencies } from '../release/terminal-release';
import { scopeName, userTokenVerifier } from '../release/user-token';
import { tableTaskClaims } from '../tasks/task-claims';
import { tableTaskIndex } from '../tasks/task-index';
import type { App } from './app';

/**
 * The full part of the composition root: the Graph client, the policy and the stores, for the
 * processor, the timers, the release and terminal APIs and the admin endpoints. Loaded on demand
 * (App.full); this module keeps no state of its own, everything it builds lives in the returned object.
 */
export interface FullApp {
  /** The app's Graph client, rebuilt when the secret cache expires (a rotated secret is picked up). */
  api(): Promise<PrintApi>;
  processor(log: Log): Promise<ProcessorDependencies>;
  releaseApi(log: Log): Promise<ReleaseApiDependencies>;
  /** Delegates and hand-over; without RELEASE_GATE_DELEGATION=on it has no store and refuses every call. */
  delegatesApi(log: Log): Promise<DelegatesApiDependencies>;
  terminal(log: Log): Promise<TerminalDependencies>;
  /** Print quota usage (RELEASE_GATE_QUOTA_TABLE): counters, charges per job, the admin audit. */
  usageStore: UsageStore;
  /** Where the processor, timers and release API post user messages (RELEASE_GATE_MESSAGES). */
  messages(log: Log): MessageOutbox;
  /** What the send-message function sends them with. */
  messenger(log: Log): Promise<SendMessageDependencies>;
}

/** The setting was validated with the others; parsing again cannot fail. */
function failSafePrinters(json: string | undefined): FailSafePrinters {
  const parsed = parseFailSafePrinters(json);
  if (!parsed.ok) throw new Error(`RELEASE_GATE_FAIL_SAFE_PRINTERS ${parsed.errors.join('; ')}`);
  return parsed.printers;
}

export function buildFullApp(app: App): FullApp {
  const config = app.settings;
  const endpoints = graphEndpoints(config);
  const ttlMs = Math.max(config.RELEASE_GATE_SECRET_CACHE_SECONDS, 60) * 1000;
  let current: { value: Promise<{ print: PrintApi; mail: MailApi }>; expiresAt: number } | undefined;
  const graph = () => {
    if (!current || current.expiresAt < Date.now()) {
      const value = appCredential(config, app.secrets, endpoints).then((credential) => {
        const client = createGraphClient(credential, endpoints, {
          maxRetryAfterSeconds: config.RELEASE_GATE_GRAPH_MAX_RETRY_AFTER_SECONDS,
        });
        return { print: new PrintApi(client), mail: new MailApi(client) };
      });
      value.catch(() => (current = undefined));
      current = { value, expiresAt: Date.now() + ttlMs };
    }
    return current.value;
  };
  const api = async () => (await graph()).print;
  const messages = (log: Log): MessageOutbox =>
    messageOutbox({ queue: app.queues.messages, kinds: config.RELEASE_GATE_MESSAGES, log });
  const sentMessages = tableSentMessages(app.table(config.RELEASE_GATE_MESSAGE_TABLE));
  const messenger = async (log: Log): Promise<SendMessageDependencies> => {
    if (!config.RELEASE_GATE_MESSAGE_SENDER) throw new Error('RELEASE_GATE_MESSAGE_SENDER is not set');
    return { mail: (await graph()).mail, sent: sentMessages, sender: config.RELEASE_GATE_MESSAGE_SENDER, log };
  };
  let policyLog: Log | undefined;
  const stores = {
    policy: loadPolicyFromSettings(config, (level, message, event) => policyLog?.[level](event, { detail: message }), {
      credential: managedIdentityCredential(config.RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID),
    }),
    audit: tableAuditLog(app.table(config.RELEASE_GATE_AUDIT_TABLE)),
    holds: tableHoldStore(app.table(config.RELEASE_GATE_HOLD_TABLE)),
    userActions: tableUserActionLog(app.table(config.RELEASE_GATE_USER_ACTION_TABLE)),
    usageStore: tableUsageStore(app.table(config.RELEASE_GATE_QUOTA_TABLE)),
    tasks: tableTaskIndex(app.table(config.RELEASE_GATE_TASK_INDEX_TABLE)),
    claims: tableTaskClaims(app.table(config.RELEASE_GATE_TASK_INDEX_TABLE), {
      leaseSeconds: config.RELEASE_GATE_TASK_LEASE_SECONDS,
    }),
    queue: app.queues.tasks,
    tenantId: config.RELEASE_GATE_TENANT_ID,
    metrics: app.metrics,
    failSafeAction: config.RELEASE_GATE_FAIL_SAFE_ACTION,
    failSafePrinters: failSafePrinters(config.RELEASE_GATE_FAIL_SAFE_PRINTERS),
    // A look-up may wait out at most half the policy's time limit, so the policy can still answer in time.
    lookupMaxRetryAfterSeconds: Math.floor(config.RELEASE_GATE_POLICY_TIMEOUT_MS / 2) / 1000,
    maxRetryAfterSeconds: config.RELEASE_GATE_GRAPH_MAX_RETRY_AFTER_SECONDS,
  };
  // RELEASE_GATE_PAGE_COUNTING on: the processor counts a job's pages when a quota counts pages (loaded on first use).
  const countPages: ProcessorDependencies['countPages'] =
    config.RELEASE_GATE_PAGE_COUNTING === 'on'
      ? async (job, printerId) => {
          const { countJobPages } = await import('../pages/count-job-pages');
          const printApi = await api();
          return countJobPages({ printApi, maxBytes: config.RELEASE_GATE_PAGE_COUNTING_MAX_BYTES }, job, printerId);
        }
      : undefined;
  const processor = async (log: Log): Promise<ProcessorDependencies> => {
    policyLog = log;
    return {
      ...stores,
      api: await api(),
      log,
      messages: messages(log),
      releasePageUrl: releasePageUrl(config),
      ...(countPages ? { countPages } : {}),
    };
  };

  // The release API's parts, built on first use (the processor never needs them).
  const audiences = config.RELEASE_GATE_USER_TOKEN_AUDIENCES?.split(',')
    .map((a) => a.trim())
    .filter(Boolean) ?? [config.RELEASE_GATE_APP_CLIENT_ID, `api://${config.RELEASE_GATE_APP_CLIENT_ID}`];
  let release:
    | {
        verifier: ReturnType<typeof userTokenVerifier>;
        attempts: ReturnType<typeof tableAttemptLimiter>;
        pins: ReturnType<typeof tablePinStore>;
        printerDirectory: ReturnType<typeof releasePrinterDirectory>;
        readiness: ReadinessCheck;
        access: PrinterAccessCheck | undefined;
      }
    | undefined;
  const releasePrinters = config.RELEASE_GATE_RELEASE_PRINTERS
    ? (JSON.parse(config.RELEASE_GATE_RELEASE_PRINTERS) as string[])
    : undefined;
  const releaseParts = (log: Log) => {
    if (release) return release;
    const attempts = tableAttemptLimiter(app.table(config.RELEASE_GATE_PIN_TABLE));
    // As the user, only what share access needs; no long in-process waits on a page request.
    const asUser = { ...endpoints, scope: endpoints.scope.replace(/\.default$/, 'PrinterShare.Read.All') };
    release = {
      verifier: userTokenVerifier({
        authorityHost: endpoints.authorityHost,
        tenantId: config.RELEASE_GATE_TENANT_ID,
        audiences,
        clientId: config.RELEASE_GATE_APP_CLIENT_ID,
        requiredScope: scopeName(config.RELEASE_GATE_RELEASE_PAGE_SCOPE),
      }),
      attempts,
      // A user's own new PIN clears their failed terminal sign-ins everywhere.
      pins: tablePinStore(app.table(config.RELEASE_GATE_PIN_TABLE), {
        minLength: config.RELEASE_GATE_PIN_MIN_LENGTH,
        onPinSet: (objectId) => attempts.clearUser(objectId),
      }),
      printerDirectory: releasePrinterDirectory({ api, declared: releasePrinters, log }),
      readiness: printerReadiness({
        read: async (printerId) => (await api()).getPrinterStatus(printerId),
        cacheSeconds: config.RELEASE_GATE_PRINTER_STATUS_CACHE_SECONDS,
      }),
      access: releasePrinters
        ? undefined
        : printerAccess({
            graphAsUser: async (token) =>
              createGraphClient(await onBehalfOfCredential(config, app.secrets, endpoints, token), asUser, {
                maxRetries: 1,
                maxRetryAfterSeconds: 2,
              }),
            memberOf: async (userId, groupIds) => (await api()).checkMemberGroups(userId, groupIds),
            log,
          }),
    };
    return release;
  };
  // Delegates (RELEASE_GATE_DELEGATION=on): the store exists only then, so off means nobody else sees a job.
  const delegation =
    config.RELEASE_GATE_DELEGATION === 'on'
      ? tableDelegationStore(app.table(config.RELEASE_GATE_DELEGATION_TABLE))
      : undefined;
  const releaseApi = async (log: Log): Promise<ReleaseApiDependencies> => {
    const { api: graph, holds, audit, tasks, usageStore, messages: outbox } = await processor(log);
    const parts = releaseParts(log);
    return {
      api: graph,
      holds,
      audit,
      tasks,
      // A release at a printer, a delete or a vanished job settles the job's quota charge.
      usageStore,
      messages: outbox,
      log,
      userActions: stores.userActions,
      verifyUser: parts.verifier,
      pins: parts.pins,
      releasePrinters,
      listReleasePrinters: parts.printerDirectory,
      printerReadiness: parts.readiness,
      ...(releasePrinters ? {} : { printerAccess: parts.access }),
      // What the next decision would see; a page request waits out no long Retry-After (it says "unavailable").
      quotaStandings: quotaStandingsReader({
        quotas: () => stores.policy.loadQuotas?.() ?? stores.policy.quotas,
        usage: stores.usageStore,
        memberOf: (userId, groupIds) => graph.checkMemberGroups(userId, groupIds, { maxRetryAfterSeconds: 1 }),
      }),
      ...(delegation ? { delegation } : {}),
    };
  };
  const searchAllowed = searchLimit();
  const delegatesApi = async (log: Log): Promise<DelegatesApiDependencies> => {
    const { api: graph, holds } = await processor(log);
    return {
      verifyUser: releaseParts(log).verifier,
      holds,
      log,
      userActions: stores.userActions,
      searchAllowed,
      ...(delegation
        ? {
            delegation,
            people: { search: (text: string) => graph.searchPeople(text), find: (id: string) => graph.findPerson(id) },
          }
        : {}),
    };
  };

  const terminals = terminalRegistry(
    async () => {
      if (config.RELEASE_GATE_SECRET_SOURCE === 'settings') return config.RELEASE_GATE_TERMINALS;
      try {
        return (await app.secrets.get(config.RELEASE_GATE_TERMINALS_SECRET_NAME)).current;
      } catch (error) {
        // No such secret: no terminals are set up (every terminal is unknown), not an outage.
        if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
        throw error;
      }
    },
    { cacheMs: config.RELEASE_GATE_SECRET_CACHE_SECONDS * 1000 },
  );
  const terminal = async (log: Log): Promise<TerminalDependencies> => {
    const base = await releaseApi(log);
    return {
      ...base,
      terminals,
      attempts: releaseParts(log).attempts,
      userByBadge: (badge) => base.api.findUserByAttribute(config.RELEASE_GATE_BADGE_ATTRIBUTE, badge),
      badgePattern: new RegExp(config.RELEASE_GATE_BADGE_PATTERN),
      signIn: config.RELEASE_GATE_TERMINAL_SIGN_IN,
    };
  };

  return { api, processor, releaseApi, delegatesApi, terminal, usageStore: stores.usageStore, messages, messenger };
}
