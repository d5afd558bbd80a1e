import { X509Certificate, createPrivateKey, randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { OnBehalfOfCredential } from '@azure/identity';
import { SignJWT } from 'jose';
import type { Settings } from '../config/settings';
import { managedIdentityCredential } from './managed-identity';
import type { SecretStore } from '../secrets/secret-store';
import type { SignInEndpoints } from './sign-in-endpoints';

const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

/**
 * A credential that calls Graph as the signed-in user: the on-behalf-of flow trades the access token
 * the user sent the release API (audience: our app) for a Graph token with the user's identity and
 * our app's consented delegated permissions. For what Graph lets only users read (printer shares).
 * The app authenticates as it does for app-only calls (managed identity assertion, certificate, secret).
 */
export async function onBehalfOfCredential(
  settings: Settings,
  secrets: SecretStore,
  endpoints: SignInEndpoints,
  userAssertionToken: string,
): Promise<TokenCredential> {
  const tenantId = settings.RELEASE_GATE_TENANT_ID;
  const clientId = settings.RELEASE_GATE_APP_CLIENT_ID;
  const options = {
    tenantId,
    clientId,
    userAssertionToken,
    authorityHost: endpoints.authorityHost,
    disableInstanceDiscovery: endpoints.customAuthority,
  };
  switch (settings.RELEASE_GATE_APP_CREDENTIAL) {
    case 'managed-identity': {
      const identity = managedIdentityCredential(settings.RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID);
      return new OnBehalfOfCredential({
        ...options,
        getAssertion: async () => {
          const token = await identity.getToken(TOKEN_EXCHANGE_SCOPE);
          if (!token) throw new Error('The managed identity returned no token for the federated credential');
          return token.token;
        },
      });
    }
    case 'certificate': {
      // OnBehalfOfCredential reads certificates from files only: sign the client assertion ourselves.
      const pem = (await secrets.get(settings.RELEASE_GATE_APP_CERTIFICATE_NAME)).current;
      const tokenEndpoint = `${endpoints.authorityHost}/${tenantId}/oauth2/v2.0/token`;
      return new OnBehalfOfCredential({
        ...options,
        getAssertion: () => certificateAssertion(pem, clientId, tokenEndpoint),
      });
    }
    case 'secret': {
      const clientSecret =
        settings.RELEASE_GATE_SECRET_SOURCE === 'settings' && settings.RELEASE_GATE_APP_SECRET
          ? settings.RELEASE_GATE_APP_SECRET
          : (await secrets.get(settings.RELEASE_GATE_APP_SECRET_NAME)).current;
      return new OnBehalfOfCredential({ ...options, clientSecret });
    }
  }
}

/** A client assertion signed with the app's certificate (RFC 7523, `x5t#S256` names the certificate). */
async function certificateAssertion(pem: string, clientId: string, audience: string): Promise<string> {
  const certificate = new X509Certificate(pem);
  const key = createPrivateKey(pem);
  const thumbprint = Buffer.from(certificate.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url');
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': thumbprint })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime('10m')
    .sign(key);
}
