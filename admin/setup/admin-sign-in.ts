import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { DeviceCodeCredential } from '@azure/identity';
import { createGraphClient } from '../../src/graph/graph-client';
import { CLOUDS } from '../../src/graph/graph-endpoints';
import { PrintApi } from '../../src/graph/print-api';

export interface AdminSignInOptions {
  tenant: string;
  clientId: string;
  cloud: keyof typeof CLOUDS;
  /** Another Entra ID (the sandbox's simulator); default: the cloud's. */
  authorityHost?: string;
  /** Another Graph (the simulator); default: the cloud's. */
  graphBaseUrl?: string;
}

/** What a sign-in against the sandbox shows instead of the device-code prompt its simulator approves itself. */
export const SANDBOX_SIGN_IN_NOTE = "Signed in as the sandbox's admin (its simulator approves the device code itself).";

/** A token is renewed this long before it expires, so no call starts with one about to lapse. */
const RENEW_BEFORE_MS = 2 * 60_000;

/**
 * One sign-in per run: the first token is kept until shortly before it expires and given to every call,
 * and calls made while the sign-in is under way wait for it (the Graph SDK asks for a token per request,
 * several at once, and each would otherwise start its own device-code prompt). A failure is explained
 * by `explain` and not kept: the next call signs in again.
 */
export function signInOnce(
  credential: TokenCredential,
  explain: (error: unknown) => Promise<Error> = async (error) => error as Error,
): TokenCredential {
  const tokens = new Map<string, AccessToken>();
  const pending = new Map<string, Promise<AccessToken | null>>();
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const key = [scopes].flat().sort().join(' ');
      const kept = tokens.get(key);
      if (kept && kept.expiresOnTimestamp - Date.now() > RENEW_BEFORE_MS) return kept;
      let signingIn = pending.get(key);
      if (!signingIn) {
        signingIn = credential
          .getToken(scopes, options)
          .then((token) => {
            if (token) tokens.set(key, token);
            return token;
          })
          .catch(async (error: unknown) => {
            throw await explain(error);
          })
          .finally(() => pending.delete(key));
        pending.set(key, signingIn);
      }
      return signingIn;
    },
  };
}

const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** The innermost `code` of an error and its causes (fetch wraps the TLS or socket error). */
function causeCode(error: unknown): string | undefined {
  let code: string | undefined;
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string') code = e.code;
    e = e.cause as typeof e;
  }
  return code;
}

/**
 * What to do about a sign-in failure MSAL reports cryptically. `endpoints_resolution_error` (and other
 * network failures) mean MSAL could not read the authority's metadata: the authority is probed once to
 * tell an untrusted certificate (the sandbox's development CA not trusted) from an unreachable host.
 */
export async function explainSignInError(
  error: unknown,
  authority: { host: string; tenant: string },
  probe: (url: string) => Promise<unknown> = (url) => fetch(url, { signal: AbortSignal.timeout(10_000) }),
): Promise<Error> {
  const message = error instanceof Error ? error.message : String(error);
  if (!/endpoints_resolution_error|network_error|ENOTFOUND|ECONNREFUSED|fetch failed/i.test(message))
    return error instanceof Error ? error : new Error(message);
  const host = authority.host.replace(/\/+$/, '');
  const metadata = `${host}/${authority.tenant}/v2.0/.well-known/openid-configuration`;
  let code: string | undefined;
  try {
    await probe(metadata);
  } catch (probeError) {
    code = causeCode(probeError) ?? (probeError as Error).name;
  }
  const loopback = /^https:\/\/(127\.0\.0\.1|localhost)[:/]/i.test(`${host}/`);
  const explained = (text: string) => new Error(text, { cause: error });
  if (code && UNTRUSTED_CERTIFICATE.has(code))
    return explained(
      `Could not sign in: the certificate of ${host} is not trusted (${code}). ` +
        (loopback
          ? "It is the sandbox's: run the command through npm (npm run setup, npm run qr-codes), which trusts the " +
            "sandbox's development CA, or set NODE_EXTRA_CA_CERTS=.sandbox/tls/dev-ca.pem."
          : 'Check --authority-host, and any proxy that inspects TLS (its CA goes in NODE_EXTRA_CA_CERTS).'),
    );
  if (code)
    return explained(
      `Could not sign in: the authority ${host} cannot be reached (${code}). ` +
        (loopback
          ? 'Is the sandbox running (npm run sandbox)? Check --authority-host, or use --sandbox.'
          : 'Check --authority-host or --cloud, and the network.'),
    );
  return explained(
    `Could not sign in: ${host} answers, but not as an Entra ID authority for tenant ${authority.tenant} ` +
      `(${message.split(':')[0]}). Check --tenant and --authority-host.`,
  );
}

/**
 * Graph as the signed-in admin (device code flow through Release Gate's own app registration), for
 * the admin tools: task triggers and printer registration need a delegated Printer Administrator.
 * The admin signs in once per run (`signInOnce`). `prompt` shows the device-code message; against the
 * sandbox, whose simulator approves device codes itself, a tool passes a note instead of the prompt.
 */
export function adminPrintApi(options: AdminSignInOptions, prompt: (message: string) => void): PrintApi {
  const cloud = CLOUDS[options.cloud];
  const graphBase = (options.graphBaseUrl ?? cloud.graph).replace(/\/+$/, '');
  const authorityHost = options.authorityHost ?? cloud.authority;
  const credential = signInOnce(
    new DeviceCodeCredential({
      tenantId: options.tenant,
      clientId: options.clientId,
      authorityHost,
      disableInstanceDiscovery: !!options.authorityHost,
      userPromptCallback: (info) => prompt(info.message),
    }),
    (error) => explainSignInError(error, { host: authorityHost, tenant: options.tenant }),
  );
  return new PrintApi(
    createGraphClient(credential, {
      baseUrl: graphBase,
      version: 'v1.0',
      // Every delegated permission the app registration has consented (Printer.ReadWrite.All,
      // PrinterShare.ReadWrite.All): the admin tools need no more, and ask for no less.
      scope: `${cloud.graph}/.default`,
      authorityHost,
      customAuthority: !!options.authorityHost,
    }),
  );
}
