import type { TokenCredential } from '@azure/core-auth';
import { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import type { Settings } from '../config/settings';
import { managedIdentityCredential } from './managed-identity';
import type { SecretStore } from '../secrets/secret-store';
import type { SignInEndpoints } from './sign-in-endpoints';

/** The audience Entra ID expects on a managed identity token used as a federated client assertion. */
const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

/**
 * The app registration's credential for app-only Graph calls, as the settings choose:
 * - managed-identity: no secret anywhere; the managed identity's token is the client assertion
 *   (a federated identity credential on the app registration trusts it);
 * - certificate / secret: read from the secret store (Key Vault in Azure).
 */
export async function appCredential(
  settings: Settings,
  secrets: SecretStore,
  endpoints: SignInEndpoints,
): Promise<TokenCredential> {
  const tenantId = settings.RELEASE_GATE_TENANT_ID;
  const clientId = settings.RELEASE_GATE_APP_CLIENT_ID;
  const options = { authorityHost: endpoints.authorityHost, disableInstanceDiscovery: endpoints.customAuthority };
  switch (settings.RELEASE_GATE_APP_CREDENTIAL) {
    case 'managed-identity': {
      const identity = managedIdentityCredential(settings.RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID);
      return new ClientAssertionCredential(
        tenantId,
        clientId,
        async () => {
          const token = await identity.getToken(TOKEN_EXCHANGE_SCOPE);
          if (!token) throw new Error('The managed identity returned no token for the federated credential');
          return token.token;
        },
        options,
      );
    }
    case 'certificate': {
      const pem = await secrets.get(settings.RELEASE_GATE_APP_CERTIFICATE_NAME);
      return new ClientCertificateCredential(tenantId, clientId, { certificate: pem.current }, options);
    }
    case 'secret': {
      const secret =
        settings.RELEASE_GATE_SECRET_SOURCE === 'settings' && settings.RELEASE_GATE_APP_SECRET
          ? settings.RELEASE_GATE_APP_SECRET
          : (await secrets.get(settings.RELEASE_GATE_APP_SECRET_NAME)).current;
      return new ClientSecretCredential(tenantId, clientId, secret, options);
    }
  }
}
