/**
 * The simulator is at least as strict as the documented Graph. Where the docs are silent it picks
 * the stricter behaviour; the lenient one (usually the first build's) stays available by name, so a
 * test can show that a stand-in this lenient would have hidden a bug. Every flag is off by default.
 */
export interface Leniency {
  /** Graph's docs leave open whether aborting a job ends its task; the strict simulator says no. */
  abortEndsTask?: boolean;
  /** Completing the task of a job on a virtual printer (no device) prints it; strict: it waits for a device that never comes. */
  virtualPrintersPrint?: boolean;
  /** PATCHing a task `aborted` also aborts its job; strict: only `jobs/{id}/abort` does, the job stays paused. */
  taskAbortAbortsJob?: boolean;
  /** A PATCHed task keeps the caller's description; strict: Graph recalculates it ("Task execution is completed."). */
  keepTaskDescription?: boolean;
  /** Redirect, update and abort check the printer's current trigger; strict: the trigger that started the task. */
  currentTriggerDecides?: boolean;
}
