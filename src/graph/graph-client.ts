import type { TokenCredential } from '@azure/core-auth';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { GraphEndpoints } from './graph-endpoints';

const KNOWN_GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);

/**
 * A Graph SDK client for one credential. The SDK attaches the bearer token only to hosts it knows,
 * so an overridden host (the simulator) is declared in `customHosts`; it must be https.
 */
export function createGraphClient(credential: TokenCredential, endpoints: GraphEndpoints): Client {
  const host = new URL(endpoints.baseUrl).hostname;
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [endpoints.scope] }),
    baseUrl: `${endpoints.baseUrl}/`,
    defaultVersion: endpoints.version,
    ...(KNOWN_GRAPH_HOSTS.has(host) ? {} : { customHosts: new Set([host]) }),
  });
}
