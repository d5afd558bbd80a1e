/**
 * The Microsoft Graph permissions Release Gate's code uses, declared once: the Bicep app
 * registration, the README's permission table and `npm run doctor` are checked against this list.
 * Ids are Microsoft Graph's permission ids (the same in every tenant).
 */
export interface GraphPermission {
  name: string;
  id: string;
  kind: 'application' | 'delegated';
  /** What the code calls with it. */
  usedFor: string;
  /** Granted only when the admin opts in (a Bicep parameter); undefined: always needed. */
  optIn?: string;
  /**
   * Delegated permissions: the admin tool that signs the admin in for it, or the release API, which
   * calls Graph as the signed-in user (on-behalf-of their token) for what only users may read.
   */
  tool?: 'set-up' | 'doctor' | 'release API';
}

export const GRAPH_PERMISSIONS: readonly GraphPermission[] = [
  {
    name: 'PrintTaskDefinition.ReadWrite.All',
    id: '456b71a7-0ee0-4588-9842-c123fcc8f664',
    kind: 'application',
    usedFor: 'task definition, tasks (read, complete, abort), subscriptions',
  },
  {
    name: 'PrintJob.Manage.All',
    id: '58a52f47-9e36-4b17-9ebe-ce4ef7f3e6c8',
    kind: 'application',
    usedFor: 'redirect, update and abort jobs (redirect allows no other permission)',
  },
  {
    // Get/List printJob list ReadBasic.All (least), Read.All, ReadWriteBasic.All, ReadWrite.All for apps, not
    // Manage.All (although its description says it reads metadata): requested explicitly.
    name: 'PrintJob.ReadBasic.All',
    id: 'fbf67eee-e074-4ef7-b965-ab5ce1c1f689',
    kind: 'application',
    usedFor: "read jobs and list a printer's jobs (metadata only, never document content)",
  },
  {
    name: 'Printer.Read.All',
    id: '9709bb33-4549-49d4-8ed9-a8f65e45bb0f',
    kind: 'application',
    usedFor: 'printers and their locations; needed beside every job permission',
  },
  {
    name: 'GroupMember.Read.All',
    id: '98830695-27a2-44f7-8c18-0c3ebc9698f6',
    kind: 'application',
    usedFor: 'policy rules on group membership (checkMemberGroups)',
    optIn: 'allowGroupRules',
  },
  {
    name: 'User.Read.All',
    id: 'df021288-bdef-4463-88db-98f22de89214',
    kind: 'application',
    usedFor: 'badge release at terminals (user by directory attribute)',
    optIn: 'allowBadgeRelease',
  },
  {
    // user-list.md: List users with the least privileged application permission; basic profile only.
    name: 'User.ReadBasic.All',
    id: '97235f07-e226-4f63-ace3-39588e11d3a1',
    kind: 'application',
    usedFor: 'delegates: find a colleague in the directory (id, display name, UPN only)',
    optIn: 'allowDelegation',
  },
  {
    // preferredLanguage is not in the basic profile (User.ReadBasic.All): the messages' language needs Read.All.
    name: 'User.Read.All',
    id: 'df021288-bdef-4463-88db-98f22de89214',
    kind: 'application',
    usedFor:
      "messages to users: the recipient's mail address and preferredLanguage (Mail.Send is granted in Exchange Online)",
    optIn: 'allowMessages',
  },
  {
    // printdocument-get-file: a document's content ($value) needs Read.All or ReadWrite.All; the Basic ones do not allow it.
    name: 'PrintJob.Read.All',
    id: 'ac6f956c-edea-44e4-bd06-64b1b4b9aec9',
    kind: 'application',
    usedFor: "page counting: download a job's document to count its pages (only the count is kept)",
    optIn: 'allowPageCounting',
  },
  {
    // printer-update.md: application tokens may update only printers without a device, and only the app that
    // registered them; step 3 of Graph's pull-printing flow.
    name: 'Printer.ReadWrite.All',
    id: 'f5b3f73d-6247-44df-a74c-866173fddab0',
    kind: 'application',
    usedFor: "set-up: the pull queues' printer attributes (PATCH /print/printers/{id}, IPP)",
    optIn: 'allowPullQueueSetup',
  },
  {
    name: 'Printer.ReadWrite.All',
    id: '89f66824-725f-4b8f-928e-e1c5258dc565',
    kind: 'delegated',
    tool: 'set-up',
    usedFor: 'set-up: task triggers, registering pull queues',
  },
  {
    name: 'PrinterShare.ReadWrite.All',
    id: '06ceea37-85e2-40d7-bec3-91337a46038f',
    kind: 'delegated',
    tool: 'set-up',
    usedFor: 'set-up: sharing pull queues with users',
  },
  {
    // Every printerShare method is delegated-only ("Application: Not supported"), so the release API asks as
    // the user (on-behalf-of). Read.All, not ReadBasic.All: ReadBasic "does not allow reading access control".
    name: 'PrinterShare.Read.All',
    id: 'ed11134d-2f3f-440d-a2e1-411efada2502',
    kind: 'delegated',
    tool: 'release API',
    usedFor: "release page: which printers' shares the user may print to (allowAllUsers, allowedUsers, allowedGroups)",
  },
  {
    name: 'Application.Read.All',
    id: 'c79f8feb-a9db-4090-85f9-90d820caa0eb',
    kind: 'delegated',
    tool: 'doctor',
    usedFor: "npm run doctor: the app's service principal and its granted application permissions",
  },
];

/**
 * Which app registration holds a permission: application permissions sit on the main app (the
 * Function App acts as it); delegated ones on the separate admin-tools app that set-up and the
 * doctor sign the admin in with (RELEASE_GATE_ADMIN_APP_CLIENT_ID), so the public client that
 * device-code sign-in needs never holds application permissions.
 */
export const appRegistrationOf = (permission: Pick<GraphPermission, 'kind' | 'tool'>): 'app' | 'admin' =>
  // The release API trades the user's Release.Use token on-behalf-of: only the app that token is for can.
  permission.kind === 'application' || permission.tool === 'release API' ? 'app' : 'admin';

/** Every opt-in (a Bicep parameter of graph-app.bicep) and the azd variable that sets it. */
export const PERMISSION_OPT_INS: Readonly<Record<string, string>> = {
  allowGroupRules: 'RELEASE_GATE_ALLOW_GROUP_RULES',
  allowBadgeRelease: 'RELEASE_GATE_ALLOW_BADGE_RELEASE',
  allowPullQueueSetup: 'RELEASE_GATE_ALLOW_PULL_QUEUE_SETUP',
  allowPageCounting: 'RELEASE_GATE_ALLOW_PAGE_COUNTING',
  allowMessages: 'RELEASE_GATE_ALLOW_MESSAGES',
  allowDelegation: 'RELEASE_GATE_ALLOW_DELEGATION',
};

/** One permission by name and kind (a typo fails loudly). */
export function graphPermission(name: string, kind: GraphPermission['kind']): GraphPermission {
  const permission = GRAPH_PERMISSIONS.find((p) => p.name === name && p.kind === kind);
  if (!permission) throw new Error(`${name} (${kind}) is not a permission Release Gate declares`);
  return permission;
}

/** The permissions needed with a given set of opt-ins switched on. */
export function permissionsFor(kind: GraphPermission['kind'], optIns: Iterable<string> = []): GraphPermission[] {
  const on = new Set(optIns);
  return GRAPH_PERMISSIONS.filter((p) => p.kind === kind && (!p.optIn || on.has(p.optIn)));
}
