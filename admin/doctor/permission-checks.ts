import { GRAPH_PERMISSIONS, permissionsFor } from '../../src/graph/app-permissions';
import { classifyGraphError } from '../../src/graph/graph-errors';
import type { PrintApi } from '../../src/graph/print-api';
import { OPT_INS } from './doctor-options';
import { fail, ok, warn, type DoctorCheck } from './report';

const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const NAME = 'Application permissions';
const CONSENT_PLACE = 'Entra admin center → App registrations → Release Gate → API permissions → Grant admin consent';
/**
 * Microsoft Graph's application Mail.Send. Release Gate's messages need it granted in Exchange Online,
 * scoped to the sender mailbox: granted in Entra ID it is tenant-wide (send as anyone) and an Exchange
 * scope no longer restricts anything, so the doctor names it (README "Messages to users").
 */
export const ENTRA_MAIL_SEND_ID = 'b633e1c5-b582-4048-a93e-9f11b44c7e96';

/**
 * Each application permission the code uses (with the admin's opt-ins) is granted to the app's service
 * principal, and nothing Release Gate does not use. Read with the admin's delegated token
 * (Application.Read.All: the service principal by app id, then its app role assignments).
 */
export async function permissionChecks(
  admin: PrintApi,
  appId: string,
  optIns: readonly string[],
): Promise<DoctorCheck[]> {
  let granted: Set<string>;
  try {
    const [app, graph] = await Promise.all([
      admin.getServicePrincipalByAppId(appId),
      admin.getServicePrincipalByAppId(MICROSOFT_GRAPH_APP_ID),
    ]);
    const assignments = await admin.listAppRoleAssignments(app.id);
    granted = new Set(assignments.filter((a) => a.resourceId === graph.id).map((a) => a.appRoleId.toLowerCase()));
  } catch (error) {
    const failure = classifyGraphError(error);
    if (failure.kind === 'not-found')
      return [
        fail(
          NAME,
          `no service principal for app ${appId} in this tenant (${failure.message})`,
          'azd provision (graph-app.bicep creates it), or check RELEASE_GATE_APP_CLIENT_ID and the tenant',
        ),
      ];
    if (failure.kind === 'forbidden')
      return [
        fail(
          NAME,
          `cannot read the app's granted permissions with your sign-in (${failure.message})`,
          `consent the delegated Application.Read.All for the app (azd provision, or ${CONSENT_PLACE})`,
        ),
      ];
    throw error;
  }

  const needed = permissionsFor('application', optIns);
  const missing = needed.filter((p) => !granted.has(p.id.toLowerCase()));
  // One permission may serve two opt-ins (User.Read.All: badges, messages): needed by one, it is not extra.
  const neededIds = new Set(needed.map((p) => p.id.toLowerCase()));
  const notOptedIn = GRAPH_PERMISSIONS.filter(
    (p) =>
      p.kind === 'application' &&
      p.optIn &&
      !optIns.includes(p.optIn) &&
      granted.has(p.id.toLowerCase()) &&
      !neededIds.has(p.id.toLowerCase()),
  );
  const known = new Set(GRAPH_PERMISSIONS.map((p) => p.id.toLowerCase()));
  const unknown = [...granted].filter((id) => !known.has(id));
  const optInFix = (optIn: string | undefined, on: boolean) => {
    const entry = OPT_INS.find((o) => o.optIn === optIn);
    return entry ? `azd env set ${entry.env} ${on} && azd provision (Bicep parameter ${entry.optIn})` : '';
  };

  if (missing.length > 0) {
    const fixes = [
      ...new Set(
        missing.map((p) => optInFix(p.optIn, true) || `azd provision (graph-app.bicep grants it), or ${CONSENT_PLACE}`),
      ),
    ];
    return [fail(NAME, `not granted: ${missing.map((p) => `${p.name} (${p.usedFor})`).join('; ')}`, fixes.join('; '))];
  }
  const grantedNames = needed.map((p) => p.name).join(', ');
  if (notOptedIn.length > 0 || unknown.length > 0) {
    const extras = [
      // One line per permission, naming every opt-in that would grant it.
      ...[...new Set(notOptedIn.map((p) => p.id))].map((id) => {
        const through = notOptedIn.filter((p) => p.id === id);
        return `${through[0]!.name} (its opt-in ${through.map((p) => p.optIn).join(' or ')} is off)`;
      }),
      ...unknown.map((id) =>
        id === ENTRA_MAIL_SEND_ID
          ? 'Mail.Send in Entra ID (tenant-wide: the app could send as any mailbox; messages need it only in ' +
            'Exchange Online, scoped to the sender mailbox)'
          : `app role ${id} (not used by Release Gate)`,
      ),
    ];
    return [
      warn(
        NAME,
        `${grantedNames} granted; more than needed: ${extras.join(', ')}`,
        [
          ...notOptedIn.map(
            (p) =>
              `${optInFix(p.optIn, true)} if you use it; otherwise remove it in ${CONSENT_PLACE.replace(' → Grant admin consent', '')}`,
          ),
          ...(unknown.length
            ? [`remove the unused permissions in ${CONSENT_PLACE.replace(' → Grant admin consent', '')}`]
            : []),
        ].join('; '),
      ),
    ];
  }
  return [ok(NAME, `${grantedNames} granted with admin consent`)];
}
