import { createHash } from 'node:crypto';
import { GraphHttpError, forbidden, notFound } from './errors';
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
 * Microsoft Graph's app role ids for the application permissions the simulator grants (the same in every
 * tenant; from Graph's permissions reference). A name not listed cannot be granted in the simulator.
 */
export const GRAPH_APP_ROLE_IDS: Readonly<Record<string, string>> = {
  'PrintTaskDefinition.ReadWrite.All': '456b71a7-0ee0-4588-9842-c123fcc8f664',
  'PrintJob.Manage.All': '58a52f47-9e36-4b17-9ebe-ce4ef7f3e6c8',
  'Printer.Read.All': '9709bb33-4549-49d4-8ed9-a8f65e45bb0f',
  'GroupMember.Read.All': '98830695-27a2-44f7-8c18-0c3ebc9698f6',
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
};

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
      if (!appRoleId) throw forbidden(`The simulator does not know Microsoft Graph's app role ${name}.`);
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
