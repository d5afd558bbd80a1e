import { settings } from '../config/load-settings';
import { parseFailSafePrinters, type FailSafePrinters } from '../config/fail-safe-printers';
import type { Settings } from '../config/settings';
import { tableAuditLog } from '../audit/audit-log';
import { appCredential } from '../identity/app-credential';
import { createGraphClient } from '../graph/graph-client';
import { graphEndpoints } from '../graph/graph-endpoints';
import { PrintApi } from '../graph/print-api';
import { tableHoldStore } from '../holds/hold-store';
import { tableTaskIndex } from '../tasks/task-index';
import { tableTaskClaims } from '../tasks/task-claims';
import { describeError, type Log } from '../observability/log';
import { metrics } from '../observability/metrics';
import { loadPolicyFromSettings } from '../policy/load-policy';
import { managedIdentityCredential } from '../identity/managed-identity';
import { storageTaskQueue } from '../queue/task-queue';
import { secretStoreFromSettings } from '../app/secret-store-from-settings';
import { createQueueServiceClient, createTableClient } from '../storage/storage-clients';
import type { ProcessorDependencies } from './process-task';

/** The setting was validated with the others; parsing again cannot fail. */
function failSafePrinters(json: string | undefined): FailSafePrinters {
  const parsed = parseFailSafePrinters(json);
  if (!parsed.ok) throw new Error(`RELEASE_GATE_FAIL_SAFE_PRINTERS ${parsed.errors.join('; ')}`);
  return parsed.printers;
}

type Shared = Omit<ProcessorDependencies, 'log' | 'api'> & { settings: Settings; api: () => Promise<PrintApi> };

let shared: Shared | undefined;
let currentLog: Log | undefined;

/**
 * Per-process singletons for the processor. The Graph client is rebuilt when the secret cache
 * expires, so a rotated app secret or certificate is picked up without a restart.
 */
function build(): Shared {
  const config = settings();
  const secrets = secretStoreFromSettings(config, (name, error) =>
    currentLog?.warn('secret.stale', { secret: name, ...describeError(error) }),
  );
  const endpoints = graphEndpoints(config);
  const ttlMs = Math.max(config.RELEASE_GATE_SECRET_CACHE_SECONDS, 60) * 1000;
  let api: { value: Promise<PrintApi>; expiresAt: number } | undefined;
  const currentApi = () => {
    if (!api || api.expiresAt < Date.now()) {
      const value = appCredential(config, secrets, endpoints).then(
        (credential) =>
          new PrintApi(
            createGraphClient(credential, endpoints, {
              maxRetryAfterSeconds: config.RELEASE_GATE_GRAPH_MAX_RETRY_AFTER_SECONDS,
            }),
          ),
      );
      value.catch(() => (api = undefined));
      api = { value, expiresAt: Date.now() + ttlMs };
    }
    return api.value;
  };
  return {
    settings: config,
    api: currentApi,
    policy: loadPolicyFromSettings(config, (level, message, event) => currentLog?.[level](event, { detail: message }), {
      credential: managedIdentityCredential(config.RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID),
    }),
    audit: tableAuditLog(createTableClient(config, config.RELEASE_GATE_AUDIT_TABLE)),
    holds: tableHoldStore(createTableClient(config, config.RELEASE_GATE_HOLD_TABLE)),
    tasks: tableTaskIndex(createTableClient(config, config.RELEASE_GATE_TASK_INDEX_TABLE)),
    claims: tableTaskClaims(createTableClient(config, config.RELEASE_GATE_TASK_INDEX_TABLE), {
      leaseSeconds: config.RELEASE_GATE_TASK_LEASE_SECONDS,
    }),
    queue: storageTaskQueue(createQueueServiceClient(config).getQueueClient(config.RELEASE_GATE_TASK_QUEUE)),
    tenantId: config.RELEASE_GATE_TENANT_ID,
    metrics: metrics(),
    failSafeAction: config.RELEASE_GATE_FAIL_SAFE_ACTION,
    failSafePrinters: failSafePrinters(config.RELEASE_GATE_FAIL_SAFE_PRINTERS),
    // A look-up may wait out at most half the policy's time limit, so the policy can still answer in time.
    lookupMaxRetryAfterSeconds: Math.floor(config.RELEASE_GATE_POLICY_TIMEOUT_MS / 2) / 1000,
    maxRetryAfterSeconds: config.RELEASE_GATE_GRAPH_MAX_RETRY_AFTER_SECONDS,
  };
}

export async function processorDependencies(log: Log): Promise<ProcessorDependencies> {
  currentLog = log;
  shared ??= build();
  const { settings: _settings, api, ...rest } = shared;
  return { ...rest, api: await api(), log };
}

/** Drop the singletons (tests and the sandbox reconfigure the process between runs). */
export function resetProcessorDependencies(): void {
  shared = undefined;
}
