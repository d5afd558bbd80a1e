import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

/**
 * The Function App's managed identity (user-assigned when a client id is given).
 *
 * `@azure/identity` and MSAL are loaded on the first token request, not at import: local runs with
 * connection strings never need them, and the webhook's cold start stays light.
 */
export function managedIdentityCredential(clientId?: string): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      credential ??= import('@azure/identity').then(({ ManagedIdentityCredential }) =>
        clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential(),
      );
      return (await credential).getToken(scopes, options);
    },
  };
}
