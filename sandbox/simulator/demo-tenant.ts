import type { QuotaTerm } from '../../src/quota/quota-model';
import type { SimApp, SimPrinter, SimUser } from './model';
import type { Tenant } from './tenant';
import type { PrinterRegistry } from './printer-registry';
import { DEMO_PRINTER_IDS } from '../demo/demo-printers';
import { PERMISSION_OPT_INS, permissionsFor } from '../../src/graph/app-permissions';
import { encodePrinterAttributesGroup } from '../../src/setup/ipp-attribute-group';
import { PULL_QUEUE_ATTRIBUTES } from '../../src/setup/pull-queue-attributes';
import { applyIppUpdate } from './printer-attributes';

/**
 * A small demo tenant with fixed ids: the Release Gate app registration, an admin, staff and
 * students, printers on two sites (one of them a virtual pull queue), and the school's term.
 */
export interface DemoTenant {
  app: SimApp;
  adminUpn: string;
  printers: Record<'floor1Color' | 'floor2Mono' | 'library' | 'hr' | 'pullQueue', SimPrinter>;
  users: Record<'admin' | 'adele' | 'megan' | 'sam' | 'lee' | 'guest', SimUser>;
  /** The mailbox Release Gate sends user messages from (RELEASE_GATE_MESSAGE_SENDER). */
  messageSender: string;
  groups: { staff: string; students: string };
  /** The school term the demo policy's student quota counts in. */
  term: QuotaTerm;
}

/**
 * The demo school's term: from six weeks before `now` to six weeks after (whole days; the margin
 * covers any time zone), so the demo policy's term quota applies whatever day the demo runs.
 */
export function demoSchoolTerm(now: Date = new Date()): QuotaTerm {
  const day = (offsetDays: number) => new Date(now.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);
  return { name: 'Demo term', start: day(-42), end: day(42) };
}

export const DEMO_APP_CLIENT_ID = '11111111-2222-4333-8444-555555555555';
export const DEMO_APP_SECRET = 'sandbox-app-secret-not-for-production';
/** The demo's sender mailbox: the app may send only as it (an Exchange RBAC scope, as the README sets up). */
export const DEMO_MESSAGE_SENDER = 'releasegate@contoso.example';

/** What a printer (or a set-up pull queue) tells clients it accepts; the doctor checks pull queues have them. */
const DEMO_CAPABILITIES = {
  contentTypes: ['application/pdf', 'application/oxps', 'image/pwg-raster'],
  colorModes: ['blackAndWhite', 'color'],
  duplexModes: ['oneSided', 'flipOnLongEdge'],
  mediaSizes: ['A4', 'North America Letter'],
};

/**
 * The opt-ins the demo app is granted: all but page counting's PrintJob.Read.All (document content), which the
 * sandbox grants only when it runs with RELEASE_GATE_PAGE_COUNTING=on, so that without it Graph's 403 shows.
 */
export const DEMO_OPT_INS = Object.keys(PERMISSION_OPT_INS).filter((optIn) => optIn !== 'allowPageCounting');

export function seedDemoTenant(tenant: Tenant): DemoTenant {
  const groups = { staff: '6c8a2f0e-0000-4000-8000-00000000a001', students: '6c8a2f0e-0000-4000-8000-00000000a002' };
  const app: SimApp = {
    clientId: DEMO_APP_CLIENT_ID,
    secret: DEMO_APP_SECRET,
    displayName: 'Release Gate',
    // Exactly what Bicep grants with these opt-ins on (src/graph/app-permissions.ts; a test checks it).
    applicationPermissions: permissionsFor('application', DEMO_OPT_INS).map((p) => p.name),
    delegatedPermissions: permissionsFor('delegated').map((p) => p.name),
    exposedScopes: ['Release.Use'], // graph-app.bicep's releaseScope
    // Mail.Send comes from Exchange Online, scoped to the sender mailbox, never from Entra (see the README).
    mailScope: [DEMO_MESSAGE_SENDER],
  };
  tenant.apps.set(app.clientId, app);

  const user = (
    n: number,
    upn: string,
    displayName: string,
    memberOf: string[],
    roles: string[] = [],
    employeeId = '',
  ): SimUser => {
    const u: SimUser = {
      id: `0b1c2d3e-0000-4000-8000-${String(n).padStart(12, '0')}`,
      userPrincipalName: upn,
      displayName,
      groups: memberOf,
      attributes: employeeId ? { employeeId } : {},
      roles,
      // Every demo user has a mailbox; Megan reads German (her messages come in German).
      mail: upn.includes('#EXT#') ? upn.replace(/#EXT#@.*$/, '').replace(/_([^_]*)$/, '@$1') : upn,
      ...(upn.startsWith('megan@') ? { preferredLanguage: 'de-DE' } : {}),
    };
    tenant.users.set(u.id, u);
    return u;
  };
  const users = {
    admin: user(1, 'admin@contoso.example', 'Print Admin', [groups.staff], ['Printer Administrator'], 'E0001'),
    adele: user(2, 'adele@contoso.example', 'Adele Vance', [groups.staff], [], 'E1002'),
    megan: user(3, 'megan@contoso.example', 'Megan Bowen', [groups.staff], [], 'E1003'),
    sam: user(4, 'sam.student@contoso.example', 'Sam Student', [groups.students], [], 'S2004'),
    lee: user(5, 'lee.student@contoso.example', 'Lee Student', [groups.students], [], 'S2005'),
    // A B2B guest: Entra ID names them <home address with @ as _>#EXT#@<tenant domain>.
    guest: user(60, 'gus_fabrikam.example#EXT#@contoso.example', 'Gus Guest (Fabrikam)', [groups.staff], [], 'G6060'),
  };

  const printer = (
    id: string,
    displayName: string,
    location: SimPrinter['location'],
    hasPhysicalDevice = true,
  ): SimPrinter => {
    const p: SimPrinter = {
      id,
      displayName,
      location,
      hasPhysicalDevice,
      isShared: true,
      isAcceptingJobs: true,
      capabilities: DEMO_CAPABILITIES,
    };
    tenant.printers.set(p.id, p);
    return p;
  };
  const printers = {
    floor1Color: printer(DEMO_PRINTER_IDS.floor1Color, 'HQ Floor 1 Color', {
      site: 'HQ',
      building: 'A',
      floor: '1',
      roomName: '1.20',
    }),
    floor2Mono: printer(DEMO_PRINTER_IDS.floor2Mono, 'HQ Floor 2 Mono', {
      site: 'HQ',
      building: 'A',
      floor: '2',
      roomName: '2.05',
    }),
    library: printer(DEMO_PRINTER_IDS.library, 'School Library', { site: 'School', building: 'Main', floor: '0' }),
    hr: printer(DEMO_PRINTER_IDS.hr, 'HR Confidential', { site: 'HQ', building: 'A', floor: '3', roomName: 'HR' }),
    pullQueue: printer(DEMO_PRINTER_IDS.pullQueue, 'Follow-me Pull Queue', { site: 'HQ' }, false),
  };
  // The demo pull queue is as set-up leaves one: registered by Release Gate's app, its attributes written.
  printers.pullQueue.registeredByAppId = app.clientId;
  applyIppUpdate(printers.pullQueue, encodePrinterAttributesGroup(PULL_QUEUE_ATTRIBUTES));
  // A shared mailbox in Exchange: a user object with a mailbox, no groups, no sign-in of its own.
  tenant.users.set('0b1c2d3e-0000-4000-8000-000000000090', {
    id: '0b1c2d3e-0000-4000-8000-000000000090',
    userPrincipalName: DEMO_MESSAGE_SENDER,
    displayName: 'Release Gate (printing)',
    groups: [],
    attributes: {},
    roles: [],
    mail: DEMO_MESSAGE_SENDER,
  });
  return {
    app,
    adminUpn: users.admin.userPrincipalName,
    printers,
    users,
    groups,
    term: demoSchoolTerm(),
    messageSender: DEMO_MESSAGE_SENDER,
  };
}

/**
 * Who may print to each demo printer directly (its Universal Print share): the library and the pull
 * queue everyone, the HQ printers staff, HR only the admin.
 */
export function seedDemoShares(registry: PrinterRegistry, demo: DemoTenant): void {
  const share = (printer: SimPrinter, access: { all?: boolean; users?: SimUser[]; groups?: string[] }) => {
    const created = registry.createShare(
      { displayName: printer.displayName, allowAllUsers: access.all === true },
      printer.id,
    );
    created.allowedUsers.push(...(access.users ?? []).map((u) => u.id));
    created.allowedGroups.push(...(access.groups ?? []));
  };
  share(demo.printers.library, { all: true });
  share(demo.printers.pullQueue, { all: true }); // users print to it; nothing comes out of it
  share(demo.printers.floor1Color, { groups: [demo.groups.staff] });
  share(demo.printers.floor2Mono, { groups: [demo.groups.staff] });
  share(demo.printers.hr, { users: [demo.users.admin] });
}
