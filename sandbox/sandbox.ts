import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { ClientSecretCredential, DeviceCodeCredential } from '@azure/identity';
import { createGraphClient } from '../src/graph/graph-client';
import { CLOUDS } from '../src/graph/graph-endpoints';
import { PrintApi } from '../src/graph/print-api';
import { ensureTaskDefinition } from '../src/setup/ensure-task-definition';
import { ensureTaskTrigger } from '../admin/setup/ensure-task-trigger';
import { TRIGGER_RECORD_TABLE, tableTriggerRecord } from '../src/setup/trigger-record';
import { createTableClient } from '../src/storage/storage-clients';
import { startAzurite, type Azurite } from './azurite';
import { consoleLogSink, type HostLogSink } from './host/invocation';
import { GRAPH_HOST_KEY_NAME, newKeyValue } from './host/host-keys';
import { startLocalFunctionsHost, type HostLeniency, type LocalFunctionsHost } from './host/local-functions-host';
import { startSimulator, urlHost, type Simulator, type SimulatorOptions } from './simulator';
import { ensureDevCertificates } from './tls/dev-certificates';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, DEMO_MESSAGE_SENDER } from './simulator/demo-tenant';
import { MESSAGE_KIND_NAMES } from '../src/config/message-kinds';

/**
 * The whole of Release Gate on one machine: Azurite (storage), the Universal Print simulator
 * (Graph and Entra ID), and the local Functions host running the real function files. Set-up goes
 * through Release Gate's own code: the task definition with the app's token, triggers with the
 * admin's (device code), the subscription by the subscription keeper (with Graph's handshake).
 */
export interface Sandbox {
  azurite: Azurite;
  simulator: Simulator;
  host: LocalFunctionsHost;
  settings: Record<string, string>;
  taskDefinitionId: string;
  /** The app's own Graph client, for inspecting state the way Release Gate sees it. */
  api: PrintApi;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** Port for the Functions host (7071 like Core Tools; 0 picks a free one). */
  hostPort?: number;
  simulatorPort?: number;
  simulator?: SimulatorOptions;
  log?: HostLogSink;
  /** Extra app settings (e.g. a policy). */
  settings?: Record<string, string>;
  /** A host.json other than the app's (tests use shorter retry delays). */
  hostJson?: string;
  /** Invisibility of a running message (shorter in tests that kill workers). */
  processingVisibilitySeconds?: number;
  /** Core Tools' lenient behaviours for the host, by name (tests that show what they would hide). */
  lenientHost?: HostLeniency;
  /**
   * `--lan`: the simulator and the Functions host listen on this address instead of 127.0.0.1, the host
   * over HTTPS with the development certificate (which then names the address too), so a phone on the
   * same network can open the release page and sign in. Azurite stays on loopback.
   */
  lan?: string;
  /** Says when each slow step starts and how it ended (the command's progress lines). */
  steps?: (label: string) => { done(result?: string): void; fail(result: string): void };
}

/** Runs one step of start-up under the reporter, if there is one. */
async function step<T>(options: SandboxOptions, label: string, run: () => Promise<T>): Promise<T> {
  const reporter = options.steps?.(label);
  try {
    const result = await run();
    reporter?.done();
    return result;
  } catch (error) {
    reporter?.fail(error instanceof Error ? error.message.split('\n')[0]! : String(error));
    throw error;
  }
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Azurite, the simulator and the in-process Functions host, and sets Release Gate up in the
 * simulated tenant. Each sandbox's host runs its functions with its own App (src/app/app.ts), built
 * from its own settings, so several sandboxes can run in one process, one after another or at once.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const address = options.lan ?? '127.0.0.1';
    const azurite = await step(options, 'Starting Azurite (storage)', () => startAzurite());
    stops.push(() => azurite.stop());
    const simulator = await step(options, 'Starting the Universal Print simulator', () =>
      startSimulator({ port: options.simulatorPort ?? 0, address, ...options.simulator }),
    );
    stops.push(() => simulator.stop());
    // Page counting reads job documents: the sandbox's app gets PrintJob.Read.All only when it is on (before any
    // token is issued), as Bicep grants it only with allowPageCounting.
    // (The host's settings are the environment's and the sandbox's own.)
    if ((options.settings?.RELEASE_GATE_PAGE_COUNTING ?? process.env.RELEASE_GATE_PAGE_COUNTING) === 'on')
      simulator.tenant.apps.get(DEMO_APP_CLIENT_ID)?.applicationPermissions.push('PrintJob.Read.All');

    const scope = `${CLOUDS.global.graph}/.default`;
    const endpoints = {
      baseUrl: simulator.url,
      version: 'v1.0' as const,
      scope,
      authorityHost: simulator.authorityHost,
      customAuthority: true,
    };
    const identityOptions = { authorityHost: simulator.authorityHost, disableInstanceDiscovery: true };
    const api = new PrintApi(
      createGraphClient(
        new ClientSecretCredential(simulator.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, identityOptions),
        endpoints,
      ),
    );
    const admin = new PrintApi(
      createGraphClient(
        new DeviceCodeCredential({
          tenantId: simulator.tenantId,
          clientId: DEMO_APP_CLIENT_ID,
          ...identityOptions,
          userPromptCallback: () => undefined,
        }),
        { ...endpoints, scope: `${CLOUDS.global.graph}/Printer.ReadWrite.All` },
      ),
    );

    const definition = await step(options, 'Setting up Release Gate in the simulated tenant', async () => {
      const { definition } = await ensureTaskDefinition(api, { appId: DEMO_APP_CLIENT_ID });
      // As set-up does it: each trigger recorded in the app's storage, where set-up, teardown and the doctor look.
      const triggerRecord = tableTriggerRecord(
        createTableClient({ AzureWebJobsStorage: azurite.connectionString }, TRIGGER_RECORD_TABLE),
      );
      for (const printer of Object.values(simulator.demo?.printers ?? {})) {
        await ensureTaskTrigger(
          admin,
          printer.id,
          { id: definition.id, url: `${simulator.graphBaseUrl}/print/taskDefinitions/${definition.id}` },
          triggerRecord,
        );
      }
      return definition;
    });

    const settingsFor = (hostUrl: string): Record<string, string> => ({
      RELEASE_GATE_TENANT_ID: simulator.tenantId,
      RELEASE_GATE_TASK_DEFINITION_ID: definition.id,
      RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID,
      RELEASE_GATE_APP_CREDENTIAL: 'secret',
      RELEASE_GATE_APP_SECRET: DEMO_APP_SECRET,
      RELEASE_GATE_SECRET_SOURCE: 'settings',
      RELEASE_GATE_CLIENT_STATE: clientState,
      RELEASE_GATE_FUNCTION_KEY: graphKey,
      RELEASE_GATE_GRAPH_BASE_URL: simulator.url,
      RELEASE_GATE_AUTHORITY_HOST: simulator.authorityHost,
      RELEASE_GATE_NOTIFICATION_URL: `${hostUrl}/api/notifications`,
      RELEASE_GATE_LIFECYCLE_URL: `${hostUrl}/api/lifecycle`,
      RELEASE_GATE_TASK_QUEUE: 'print-tasks',
      RELEASE_GATE_CONTROL_QUEUE: 'release-gate-control',
      // Every kind of user message, sent from the demo's sender mailbox (the simulator keeps an outbox).
      RELEASE_GATE_MESSAGES: MESSAGE_KIND_NAMES.join(','),
      RELEASE_GATE_MESSAGE_SENDER: DEMO_MESSAGE_SENDER,
      RELEASE_GATE_MESSAGE_QUEUE: 'releasegate-messages',
      AzureWebJobsStorage: azurite.connectionString,
      ...options.settings,
    });
    const clientState = randomBytes(24).toString('base64url');
    // As the deployment does: a host key for Graph, given to the app as the key to subscribe with.
    const graphKey = newKeyValue();
    const pickPort = options.hostPort === 0 || options.hostPort === undefined;
    let host: LocalFunctionsHost | undefined;
    let settings: Record<string, string> = {};
    const tls = options.lan
      ? await ensureDevCertificates(undefined, { addresses: [options.lan] }).then((c) => ({
          key: c.serverKey,
          cert: c.serverCert,
        }))
      : undefined;
    const hostOrigin = (port: number) => `${tls ? 'https' : 'http'}://${urlHost(address)}:${port}`;
    const hostStep = options.steps?.('Starting the Functions host');
    // A free port can be taken by another process between choosing it and listening: choose again.
    for (let attempt = 1; !host; attempt++) {
      const port = pickPort ? await freePort(address) : options.hostPort!;
      settings = settingsFor(hostOrigin(port));
      try {
        host = await startLocalFunctionsHost({
          address,
          tls,
          settings,
          port,
          log: options.log ?? consoleLogSink,
          hostJson: options.hostJson,
          processingVisibilitySeconds: options.processingVisibilitySeconds,
          keys: { host: { [GRAPH_HOST_KEY_NAME]: graphKey } },
          lenient: options.lenientHost,
        });
      } catch (error) {
        if (!pickPort || attempt >= 5 || !/EADDRINUSE/.test(String(error))) {
          hostStep?.fail(String(error instanceof Error ? error.message : error));
          throw error;
        }
      }
    }
    hostStep?.done();
    const started = host;
    stops.push(() => started.stop());
    // The release page signs users in through the simulator: register it as the app's SPA redirect URI.
    const origins = options.lan ? [started.url] : [started.url, started.url.replace('127.0.0.1', 'localhost')];
    for (const origin of origins) simulator.signIn.registerRedirectUri(DEMO_APP_CLIENT_ID, `${origin}/api/release`);

    // The subscription keeper creates the subscription; the simulator validates the URL first.
    await step(options, 'Waiting for the Graph subscription (the subscription keeper)', async () => {
      await started.runTimer('maintain-subscription');
      if (simulator.tenant.subscriptions.size === 0)
        throw new Error('The subscription keeper did not create a subscription; see the log above.');
    });

    return { azurite, simulator, host, settings, taskDefinitionId: definition.id, api, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
