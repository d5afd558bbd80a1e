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

/**
 * Graph as the signed-in admin (device code flow through Release Gate's own app registration), for
 * the admin tools: task triggers and printer registration need a delegated Printer Administrator.
 */
export function adminPrintApi(options: AdminSignInOptions, prompt: (message: string) => void): PrintApi {
  const cloud = CLOUDS[options.cloud];
  const graphBase = (options.graphBaseUrl ?? cloud.graph).replace(/\/+$/, '');
  const authorityHost = options.authorityHost ?? cloud.authority;
  const credential = new DeviceCodeCredential({
    tenantId: options.tenant,
    clientId: options.clientId,
    authorityHost,
    disableInstanceDiscovery: !!options.authorityHost,
    userPromptCallback: (info) => prompt(info.message),
  });
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
