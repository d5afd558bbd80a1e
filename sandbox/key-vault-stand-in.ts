import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ensureDevCertificates } from './tls/dev-certificates';

/**
 * Local stand-ins for the two Azure endpoints a Function App's Key Vault access goes through:
 * the App Service managed-identity token endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER) and the
 * Key Vault secrets REST API (HTTPS, with its 401 bearer challenge first). The real
 * `@azure/identity` and `@azure/keyvault-secrets` talk to them unchanged.
 */
export interface KeyVaultStandIn {
  vaultUrl: string;
  /** Environment that makes ManagedIdentityCredential use the local token endpoint. */
  identityEnvironment: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  setSecret(name: string, value: string, options?: { enabled?: boolean }): string;
  disableVersion(name: string, version: string): void;
  /** Removes a secret and all its versions (Key Vault's delete, as seen by readers: 404 from then on). */
  deleteSecret(name: string): void;
  stats: { challenges: number; tokenRequests: number; secretReads: number; rejectedTokens: number };
  stop(): Promise<void>;
}

/**
 * The audience real Key Vault asks for. Our vault is not a subdomain of it, so clients of the stand-in
 * set `disableChallengeResourceVerification` (see {@link keyVaultStandInClientOptions}).
 */
const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

/** The managed identity's object id, as the `sub` of its tokens (what a federated credential trusts). */
export const MANAGED_IDENTITY_PRINCIPAL_ID = '7e1d0c2b-0000-4000-8000-0000000000f1';

/** SecretClient options for the stand-in: its host is 127.0.0.1, not *.vault.azure.net. */
export const keyVaultStandInClientOptions = { disableChallengeResourceVerification: true } as const;

interface Version {
  version: string;
  value: string;
  enabled: boolean;
  created: number;
}

export async function startKeyVaultStandIn(): Promise<KeyVaultStandIn> {
  const { serverKey, serverCert } = await ensureDevCertificates();
  const identityHeader = randomBytes(16).toString('hex');
  const issuedTokens = new Map<string, string>(); // token -> resource it was issued for
  const secrets = new Map<string, Version[]>();
  const stats = { challenges: 0, tokenRequests: 0, secretReads: 0, rejectedTokens: 0 };
  let clock = Math.floor(Date.now() / 1000);

  const identity = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const resource = url.searchParams.get('resource');
    if (req.headers['x-identity-header'] !== identityHeader || !resource) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_request' }));
      return;
    }
    stats.tokenRequests++;
    // JWT-shaped like Entra's tokens (a federated credential reads `sub`); only this stand-in checks the signature.
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = [
      encode({ alg: 'RS256', typ: 'JWT' }),
      encode({
        aud: resource,
        sub: MANAGED_IDENTITY_PRINCIPAL_ID,
        oid: MANAGED_IDENTITY_PRINCIPAL_ID,
        exp: Math.floor(Date.now() / 1000) + 3600,
      }),
      randomBytes(24).toString('base64url'),
    ].join('.');
    issuedTokens.set(token, resource.replace(/\/\.default$/, '').replace(/\/$/, ''));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        access_token: token,
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource,
        token_type: 'Bearer',
      }),
    );
  });

  const vault = https.createServer({ key: serverKey, cert: serverCert }, (req, res) => {
    const origin = `https://127.0.0.1:${(vault.address() as AddressInfo).port}`;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const authorization = req.headers.authorization ?? '';
    const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (!token) {
      stats.challenges++;
      // As Key Vault does: the first request is anonymous and learns where to get a token.
      send(
        401,
        { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
        {
          'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${randomUUID()}", resource="${KEY_VAULT_RESOURCE}"`,
        },
      );
      return;
    }
    if (issuedTokens.get(token) !== KEY_VAULT_RESOURCE) {
      stats.rejectedTokens++;
      send(401, { error: { code: 'Unauthorized', message: 'AKV10022: Invalid audience.' } });
      return;
    }
    const path = new URL(req.url ?? '/', origin).pathname.replace(/\/+$/, '');
    const match = /^\/secrets\/([A-Za-z0-9-]+)(?:\/([A-Za-z0-9]+))?$/.exec(path);
    const versions = match?.[1] ? secrets.get(match[1]) : undefined;
    if (!match || !versions || req.method !== 'GET') {
      send(404, {
        error: { code: 'SecretNotFound', message: 'A secret with (name/id) was not found in this key vault.' },
      });
      return;
    }
    const [, name, versionOrList] = match;
    const bundle = (v: Version) => ({
      id: `${origin}/secrets/${name}/${v.version}`,
      attributes: {
        enabled: v.enabled,
        created: v.created,
        updated: v.created,
        recoveryLevel: 'Recoverable+Purgeable',
      },
    });
    if (versionOrList === 'versions') {
      send(200, { value: versions.map(bundle), nextLink: null });
      return;
    }
    const found = versionOrList
      ? versions.find((v) => v.version === versionOrList)
      : [...versions].reverse().find((v) => v.enabled);
    if (!found || !found.enabled) {
      send(found ? 403 : 404, { error: { code: found ? 'Forbidden' : 'SecretNotFound', message: 'Not available.' } });
      return;
    }
    stats.secretReads++;
    send(200, { value: found.value, ...bundle(found) });
  });

  await Promise.all([listen(identity), listen(vault)]);
  return {
    vaultUrl: `https://127.0.0.1:${(vault.address() as AddressInfo).port}`,
    identityEnvironment: {
      IDENTITY_ENDPOINT: `http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`,
      IDENTITY_HEADER: identityHeader,
    },
    setSecret(name, value, options = {}) {
      const version = randomBytes(16).toString('hex');
      const list = secrets.get(name) ?? [];
      list.push({ version, value, enabled: options.enabled ?? true, created: ++clock });
      secrets.set(name, list);
      return version;
    },
    disableVersion(name, version) {
      const found = secrets.get(name)?.find((v) => v.version === version);
      if (found) found.enabled = false;
    },
    deleteSecret(name) {
      secrets.delete(name);
    },
    stats,
    stop: () => Promise.all([close(identity), close(vault)]).then(() => undefined),
  };
}

const listen = (server: http.Server | https.Server) =>
  new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const close = (server: http.Server | https.Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
