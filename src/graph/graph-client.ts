import type { TokenCredential } from '@azure/core-auth';
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { GraphEndpoints } from './graph-endpoints';
import { parseRetryAfter } from './graph-errors';

const KNOWN_GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);

export interface GraphClientOptions {
  /**
   * Longest Retry-After honoured in-process. The SDK would otherwise sleep up to 180 s per retry,
   * holding a Functions instance; past this the caller gets the 429/503 and can defer the work.
   */
  maxRetryAfterSeconds?: number;
  /** Retries for 429/503/504 (the SDK's own handler; it honours Retry-After). */
  maxRetries?: number;
  /** Delay when Graph gives no Retry-After, in seconds (the SDK backs off exponentially from it). */
  baseDelaySeconds?: number;
}

/**
 * Retry options for one request that must answer within a time budget (a look-up while the policy
 * decides): at most one retry, and only if Graph asks to wait no longer than `maxWaitSeconds` (its
 * Retry-After, or our base delay when it gives none). Otherwise the 429/503 reaches the caller at
 * once, and the task is deferred or retried through the queue instead of outliving the policy's limit.
 */
export function boundedRetryOptions(maxWaitSeconds: number): RetryHandlerOptions {
  const baseDelay = Math.min(1, maxWaitSeconds);
  return new RetryHandlerOptions(
    baseDelay,
    maxWaitSeconds > 0 ? 1 : 0,
    (_delay: number, _attempt: number, _request: unknown, _options: unknown, response: Response) =>
      (parseRetryAfter(response?.headers?.get('retry-after')) ?? baseDelay) <= maxWaitSeconds,
  );
}

/**
 * A Graph SDK client for one credential. The SDK attaches the bearer token only to hosts it knows,
 * so an overridden host (the simulator) is declared in `customHosts`; it must be https.
 */
export function createGraphClient(
  credential: TokenCredential,
  endpoints: GraphEndpoints,
  options: GraphClientOptions = {},
): Client {
  const host = new URL(endpoints.baseUrl).hostname;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 10;
  const retry = new RetryHandlerOptions(
    options.baseDelaySeconds ?? 1,
    options.maxRetries ?? 3,
    // The SDK passes its base delay here, not Retry-After, so read the header from the response.
    (_delay: number, _attempt: number, _request: unknown, _options: unknown, response: Response) => {
      const retryAfter = parseRetryAfter(response?.headers?.get('retry-after'));
      return retryAfter === undefined || retryAfter <= maxRetryAfter;
    },
  );
  const chain = new AuthenticationHandler(
    new TokenCredentialAuthenticationProvider(credential, { scopes: [endpoints.scope] }),
  );
  const retryHandler = new RetryHandler(retry);
  const redirect = new RedirectHandler(new RedirectHandlerOptions());
  const telemetry = new TelemetryHandler();
  chain.setNext(retryHandler);
  retryHandler.setNext(redirect);
  redirect.setNext(telemetry);
  telemetry.setNext(new HTTPMessageHandler());
  return Client.initWithMiddleware({
    middleware: chain,
    baseUrl: `${endpoints.baseUrl}/`,
    defaultVersion: endpoints.version,
    ...(KNOWN_GRAPH_HOSTS.has(host) ? {} : { customHosts: new Set([host]) }),
  });
}
