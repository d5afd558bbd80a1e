import { createHash } from 'node:crypto';
import { GRAPH_PERMISSIONS } from '../../src/graph/app-permissions';
import { GraphHttpError, notFound } from './errors';
import type { GraphRequest, GraphResult } from './graph-routes';
import type { TokenClaims } from './identity-provider';
import type { SimApp } from './model';
import type { Tenant } from './tenant';

/**
 * The directory reads `npm run doctor` makes: a service principal by its app id and the application
 * permissions (app role assignments) granted to it, with the permissions Graph documents
 * (serviceprincipal-get.md, serviceprincipal-list-approleassignments.md).
 */
type Handler = (request: GraphRequest, params: string[]) => Promise<GraphResult> | GraphResult;

export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Microsoft Graph's service principal in the simulated tenant (its object id differs per tenant in Entra). */
export const MICROSOFT_GRAPH_SP_ID = '5c1a7e2d-0000-4000-8000-00000000a0a0';

/**
 * Microsoft Graph's app role ids (the same in every tenant) for the application permissions Release Gate
 * declares, taken from that one list (src/graph/app-permissions.ts). A permission the code does not declare
 * stays unknown here: the simulator cannot name its app role, and says so instead of inventing an id.
 */
export const GRAPH_APP_ROLE_IDS: Readonly<Record<string, string>> = Object.fromEntries(
  GRAPH_PERMISSIONS.filter((p) => p.kind === 'application').map((p) => [p.name, p.id]),
);

/** A stable object id for an app's service principal (Entra gives each its own, unlike the app id). */
export function servicePrincipalIdOf(clientId: string): string {
  const hex = createHash('sha256').update(`service-principal:${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const READ_SERVICE_PRINCIPALS = [
  'Application.Read.All',
  'Application.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

/** Delegated: one of the documented scopes (any member may read service principals); app: a role, or itself. */
function requireDirectoryRead(claims: TokenClaims, operation: string, selfAppId?: string): void {
  if (claims.idtyp === 'app') {
    // Graph: a service principal may read its own service principal without any permission.
    if (selfAppId && claims.appid === selfAppId) return;
    const roles = claims.roles ?? [];
    if (!READ_SERVICE_PRINCIPALS.some((p) => roles.includes(p)))
      throw new GraphHttpError(
        403,
        'Authorization_RequestDenied',
        `${operation} needs one of these application permissions: ${READ_SERVICE_PRINCIPALS.join(', ')}.`,
      );
    return;
  }
  const scopes = (claims.scp ?? '').split(' ');
  if (!READ_SERVICE_PRINCIPALS.some((p) => scopes.includes(p)))
    throw new GraphHttpError(
      403,
      'Authorization_RequestDenied',
      `${operation} needs one of these delegated permissions: ${READ_SERVICE_PRINCIPALS.join(', ')}.`,
    );
}

export function directoryRoutes(tenant: Tenant): [string, string, Handler][] {
  const graphServicePrincipal = {
    id: MICROSOFT_GRAPH_SP_ID,
    appId: MICROSOFT_GRAPH_APP_ID,
    displayName: 'Microsoft Graph',
    servicePrincipalType: 'Application',
  };
  const servicePrincipalJson = (app: SimApp) => ({
    id: servicePrincipalIdOf(app.clientId),
    appId: app.clientId,
    displayName: app.displayName,
    appDisplayName: app.displayName,
    accountEnabled: true,
    servicePrincipalType: 'Application',
  });
  const byAppId = (appId: string) => {
    if (appId === MICROSOFT_GRAPH_APP_ID) return graphServicePrincipal;
    const app = tenant.apps.get(appId);
    if (!app) throw notFound(`ServicePrincipal with appId ${appId}`);
    return servicePrincipalJson(app);
  };
  const byId = (id: string) => {
    const app = [...tenant.apps.values()].find((a) => servicePrincipalIdOf(a.clientId) === id);
    if (!app) throw notFound(`ServicePrincipal ${id}`);
    return app;
  };
  const assignmentsOf = (app: SimApp) =>
    app.applicationPermissions.map((name) => {
      const appRoleId = GRAPH_APP_ROLE_IDS[name];
      // Not Graph's answer but the simulator's limit: a 501, so no caller mistakes it for a refused permission.
      if (!appRoleId)
        throw new GraphHttpError(
          501,
          'NotImplemented',
          `The simulator does not know Microsoft Graph's app role ${name} (not declared in src/graph/app-permissions.ts).`,
        );
      const principalId = servicePrincipalIdOf(app.clientId);
      return {
        id: createHash('sha256').update(`${principalId}:${appRoleId}`).digest('base64url').slice(0, 43),
        appRoleId,
        principalDisplayName: app.displayName,
        principalId,
        principalType: 'ServicePrincipal',
        resourceDisplayName: 'Microsoft Graph',
        resourceId: MICROSOFT_GRAPH_SP_ID,
      };
    });
  // `(appId='…')`: the quotes may arrive percent-encoded.
  const appIdKey = "\\(appId=(?:'|%27)([^'%/]+)(?:'|%27)\\)";

  return [
    [
      'GET',
      `/servicePrincipals${appIdKey}`,
      ({ claims }, [appId]) => {
        requireDirectoryRead(claims, 'Get servicePrincipal', appId);
        return { status: 200, body: byAppId(appId!) };
      },
    ],
    [
      'GET',
      '/servicePrincipals/([^/(]+)/appRoleAssignments',
      ({ claims }, [id]) => {
        requireDirectoryRead(claims, 'List appRoleAssignments');
        const app = byId(id!);
        return { status: 200, body: { value: assignmentsOf(app) } };
      },
    ],
  ];
}
