/**
 * The simulator is at least as strict as the documented Graph. Where the docs are silent it picks
 * the stricter behaviour; the lenient one (usually the first build's) stays available by name, so a
 * test can show that a stand-in this lenient would have hidden a bug. Every flag is off by default.
 */
export interface Leniency {
  /** Graph's docs leave open whether aborting a job ends its task; the strict simulator says no. */
  abortEndsTask?: boolean;
  /** Print subscriptions only get reauthorizationRequired; this lets the control API send subscriptionRemoved and missed. */
  nonPrintLifecycleEvents?: boolean;
}
