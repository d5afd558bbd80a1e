import type { Settings } from '../config/settings';

/**
 * Graph and Entra ID hosts per Microsoft cloud. GCC (moderate) uses the global hosts; GCC High is
 * usgov (L4) and DoD is usgovdod (L5), both signing in at login.microsoftonline.us.
 */
export const CLOUDS = {
  global: { graph: 'https://graph.microsoft.com', authority: 'https://login.microsoftonline.com' },
  usgov: { graph: 'https://graph.microsoft.us', authority: 'https://login.microsoftonline.us' },
  usgovdod: { graph: 'https://dod-graph.microsoft.us', authority: 'https://login.microsoftonline.us' },
  china: { graph: 'https://microsoftgraph.chinacloudapi.cn', authority: 'https://login.chinacloudapi.cn' },
} as const;

export interface GraphEndpoints {
  /** Host Graph calls go to, without version, e.g. https://graph.microsoft.com */
  baseUrl: string;
  version: 'v1.0' | 'beta';
  /** App-only scope: the cloud's Graph resource + /.default (unchanged when the host is overridden). */
  scope: string;
  authorityHost: string;
  /** True when sign-in goes to a host Entra ID's instance discovery does not know (the simulator). */
  customAuthority: boolean;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export function graphEndpoints(settings: Settings): GraphEndpoints {
  const cloud = CLOUDS[settings.RELEASE_GATE_CLOUD];
  return {
    baseUrl: trimSlash(settings.RELEASE_GATE_GRAPH_BASE_URL ?? cloud.graph),
    version: settings.RELEASE_GATE_GRAPH_VERSION,
    scope: `${cloud.graph}/.default`,
    authorityHost: trimSlash(settings.RELEASE_GATE_AUTHORITY_HOST ?? cloud.authority),
    customAuthority: settings.RELEASE_GATE_AUTHORITY_HOST !== undefined,
  };
}
