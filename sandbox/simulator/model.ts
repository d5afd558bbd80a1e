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
  isAcceptingJobs: boolean;
  trigger?: { id: string; definitionId: string; createdByAppId: string };
  /** printerCapabilities as Graph returns them; null (unset) on a newly registered virtual printer. */
  capabilities?: Record<string, unknown>;
}

export interface SimUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  groups: string[];
  attributes: Record<string, string>;
  /** Entra directory roles, e.g. "Printer Administrator". */
  roles: string[];
}

export interface SimApp {
  clientId: string;
  secret: string;
  displayName: string;
  /** Application permissions granted with admin consent. */
  applicationPermissions: string[];
  /** Delegated permissions consented for the app. */
  delegatedPermissions: string[];
  /** Federated identity credentials: subjects (e.g. a managed identity's object id) whose tokens act as the app. */
  federatedSubjects?: string[];
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
