/** The simulated tenant's objects, shaped as Graph returns them (plus what the simulator needs). */

export interface SimLocation {
  site?: string;
  building?: string;
  floor?: string;
  roomName?: string;
  city?: string;
}

export interface SimPrinter {
  id: string;
  displayName: string;
  location: SimLocation;
  hasPhysicalDevice: boolean;
  isShared: boolean;
  /** Null until a newly registered printer's attributes are set (printoperation-get.md's example). */
  isAcceptingJobs: boolean | null;
  trigger?: { id: string; definitionId: string; createdByAppId: string };
  /** printers/create: the app whose delegated token registered it; only that app may update it with an app token. */
  registeredByAppId?: string;
  /** Graph's printerStatus; absent means idle (the demo printers). A new registration is `unknown`. */
  status?: { state: string; details: string[]; description: string };
  /** Graph's JSON view of the printer's attributes (printerCapabilities, printerDefaults), once set. */
  capabilities?: Record<string, unknown>;
  defaults?: Record<string, unknown>;
}

/** A task trigger as created, kept after it is deleted: a task remembers the trigger that started it. */
export interface SimTriggerRecord {
  id: string;
  printerId: string;
  definitionId: string;
  createdByAppId: string;
  deletedDateTime?: string;
}

export interface SimUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  groups: string[];
  attributes: Record<string, string>;
  /** Entra directory roles, e.g. "Printer Administrator". */
  roles: string[];
  /** The user's mailbox address; none: no Exchange Online mailbox (sendMail to or as them fails). */
  mail?: string;
  /** Graph's preferredLanguage, e.g. de-DE. */
  preferredLanguage?: string;
}

export interface SimApp {
  clientId: string;
  secret: string;
  displayName: string;
  /** Application permissions granted with admin consent. */
  applicationPermissions: string[];
  /** Delegated permissions consented for the app. */
  delegatedPermissions: string[];
  /** Scopes the app exposes as an API (Expose an API), e.g. Release.Use. */
  exposedScopes?: string[];
  /** Federated identity credentials: subjects (e.g. a managed identity's object id) whose tokens act as the app. */
  federatedSubjects?: string[];
  /**
   * Exchange Online application RBAC: the mailboxes (addresses) a management scope lets the app send
   * as with the role "Application Mail.Send". An Entra grant of Mail.Send (in applicationPermissions)
   * is tenant-wide and adds to this; the strict set-up is this scope alone (see the README).
   */
  mailScope?: string[];
}

/** A mail sendMail accepted, as the simulator's outbox lists it. */
export interface SimSentMail {
  from: string;
  to: string[];
  subject: string;
  contentType: 'text' | 'html';
  /** The body as text (HTML tags removed), for reading in tests and the demo. */
  text: string;
  content: string;
  at: string;
}

export interface JobConfiguration {
  copies?: number;
  colorMode?: string;
  duplexMode?: string;
  mediaSize?: string;
  pagesPerSheet?: number;
  orientation?: string;
  quality?: string;
  dpi?: number;
  pageRanges?: { start: number; end: number }[];
  [key: string]: unknown;
}

export interface SimDocument {
  id: string;
  displayName: string;
  contentType: string;
  size: number;
}

export type JobState = 'pending' | 'processing' | 'paused' | 'stopped' | 'completed' | 'canceled' | 'aborted';

export interface SimJob {
  id: string;
  printerId: string;
  createdDateTime: string;
  createdBy: { id: string; displayName: string; userPrincipalName: string };
  status: { state: JobState; description: string; details: string[]; isAcquiredByPrinter: boolean };
  configuration: JobConfiguration;
  documents: SimDocument[];
  redirectedFrom?: string;
  redirectedTo?: string;
  taskIds: string[];
}

export type TaskState = 'pending' | 'processing' | 'completed' | 'aborted';

export interface SimTask {
  id: string;
  definitionId: string;
  printerId: string;
  jobId: string;
  triggerId: string;
  status: { state: TaskState; description: string };
  createdDateTime: string;
}

export interface SimDefinition {
  id: string;
  displayName: string;
  createdBy: { appId: string; displayName: string };
}

export interface SimSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationDateTime: string;
  applicationId: string;
  creatorId: string;
  latestSupportedTlsVersion: string;
  notificationContentType: string;
  /** When the reauthorizationRequired event was sent for the current expiry. */
  lifecycleSentFor?: string;
}
