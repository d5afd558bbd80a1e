import { ClientSecretCredential, DeviceCodeCredential } from '@azure/identity';
import { parseSettings } from '../../src/config/load-settings';
import { createGraphClient } from '../../src/graph/graph-client';
import { graphEndpoints, type GraphEndpoints } from '../../src/graph/graph-endpoints';
import { PrintApi } from '../../src/graph/print-api';
import { DEMO_APP_CLIENT_ID, DEMO_APP_SECRET } from '../../sandbox/simulator/demo-tenant';
import type { Simulator } from '../../sandbox/simulator';

/** Graph endpoints as Release Gate derives them from settings, pointed at the simulator. */
export function simulatorEndpoints(sim: Simulator): GraphEndpoints {
  return graphEndpoints(
    parseSettings({
      RELEASE_GATE_TENANT_ID: sim.tenantId,
      RELEASE_GATE_TASK_DEFINITION_ID: '00000000-0000-4000-8000-0000000000d1',
      RELEASE_GATE_APP_CLIENT_ID: DEMO_APP_CLIENT_ID,
      RELEASE_GATE_SECRET_SOURCE: 'settings',
      RELEASE_GATE_CLIENT_STATE: 'x',
      RELEASE_GATE_APP_CREDENTIAL: 'secret',
      RELEASE_GATE_APP_SECRET: DEMO_APP_SECRET,
      RELEASE_GATE_GRAPH_BASE_URL: sim.url,
      RELEASE_GATE_AUTHORITY_HOST: sim.authorityHost,
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    }),
  );
}

/** The app's own (application permission) client, as the processor builds it. */
export function appApi(
  sim: Simulator,
  options: { clientId?: string; secret?: string; maxRetryAfterSeconds?: number } = {},
): PrintApi {
  const endpoints = simulatorEndpoints(sim);
  const credential = new ClientSecretCredential(
    sim.tenantId,
    options.clientId ?? DEMO_APP_CLIENT_ID,
    options.secret ?? DEMO_APP_SECRET,
    {
      authorityHost: endpoints.authorityHost,
      disableInstanceDiscovery: true,
    },
  );
  return new PrintApi(
    createGraphClient(credential, endpoints, {
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 2,
      baseDelaySeconds: 0,
    }),
  );
}

/** A Printer Administrator signed in to the app with the device-code flow (auto-approved by the simulator). */
export function adminApi(sim: Simulator): PrintApi {
  const endpoints = simulatorEndpoints(sim);
  const credential = new DeviceCodeCredential({
    tenantId: sim.tenantId,
    clientId: DEMO_APP_CLIENT_ID,
    authorityHost: endpoints.authorityHost,
    disableInstanceDiscovery: true,
    userPromptCallback: () => undefined,
  });
  return new PrintApi(
    createGraphClient(credential, { ...endpoints, scope: `${'https://graph.microsoft.com'}/Printer.ReadWrite.All` }),
  );
}

/** Raw bearer tokens from the simulator: the app's own (application) and a Printer Administrator's (delegated). */
export async function simulatorTokens(sim: Simulator): Promise<{ appToken: string; adminToken: string }> {
  const options = { authorityHost: sim.authorityHost, disableInstanceDiscovery: true };
  const app = await new ClientSecretCredential(sim.tenantId, DEMO_APP_CLIENT_ID, DEMO_APP_SECRET, options).getToken(
    'https://graph.microsoft.com/.default',
  );
  const admin = await new DeviceCodeCredential({
    tenantId: sim.tenantId,
    clientId: DEMO_APP_CLIENT_ID,
    ...options,
    userPromptCallback: () => undefined,
  }).getToken('https://graph.microsoft.com/Printer.ReadWrite.All');
  return { appToken: app.token, adminToken: admin.token };
}
