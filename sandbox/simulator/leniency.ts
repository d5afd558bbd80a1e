/**
 * The simulator is at least as strict as the documented Graph. Where the docs are silent it picks
 * the stricter behaviour; the lenient one (usually the first build's) stays available by name, so a
 * test can show that a stand-in this lenient would have hidden a bug. Every flag is off by default.
 */
export interface Leniency {
  /** Graph's docs leave open whether aborting a job ends its task; the strict simulator says no. */
  abortEndsTask?: boolean;
  /** Get/List printJob also accept PrintJob.Manage.All (the method tables do not list it; strict refuses). */
  manageAllReadsJobs?: boolean;
  /** List/Get taskTriggers embed `definition` (the docs' examples show only id and event; strict leaves it out). */
  embedTriggerDefinition?: boolean;
  /** A printer that is not accepting jobs (a new virtual printer before its attributes are set) still takes them. */
  jobsToUnconfiguredPrinters?: boolean;
  /** Print subscriptions only get reauthorizationRequired; this lets the control API send subscriptionRemoved and missed. */
  nonPrintLifecycleEvents?: boolean;
  /** Completing the task of a job on a virtual printer (no device) prints it; strict: it waits for a device that never comes. */
  virtualPrintersPrint?: boolean;
  /** PATCHing a task `aborted` also aborts its job; strict: only `jobs/{id}/abort` does, the job stays paused. */
  taskAbortAbortsJob?: boolean;
  /** A PATCHed task keeps the caller's description; strict: Graph recalculates it ("Task execution is completed."). */
  keepTaskDescription?: boolean;
  /** Redirect, update and abort check the printer's current trigger; strict: the trigger that started the task. */
  currentTriggerDecides?: boolean;
  /**
   * A single-page app's refresh token gets a new 24 hours at each use (a sliding window); strict, as
   * Entra ID: every refresh token from one sign-in expires 24 hours after that sign-in.
   */
  slidingSpaRefreshTokens?: boolean;
  /**
   * The token endpoint redeems a single-page app's code or refresh token without an Origin header;
   * strict, as Entra ID: only cross-origin requests (AADSTS9002327).
   */
  spaTokensWithoutOrigin?: boolean;
  /**
   * Redirecting a job to a printer whose status is `stopped` (out of paper, jammed…), or completing the
   * task of a job on one, is accepted; strict (the docs are silent): 409, so a release gate that does
   * not check the printer's status first is caught in tests.
   */
  printToStoppedPrinters?: boolean;
  /**
   * sendMail accepts the Entra application permission Mail.Send (in the token's roles) for any mailbox, as
   * Graph does: that grant is tenant-wide. Strict: only the app's Exchange application RBAC scope
   * (SimApp.mailScope) counts, the set-up the README asks for, so a deployment relying on the tenant-wide
   * grant fails here instead of quietly being able to send as anyone.
   */
  entraMailSendTenantWide?: boolean;
}
