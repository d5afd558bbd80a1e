import type { PrintJobConfigurationChange } from '../../graph/print-schemas';
import type { Decision, PolicyContext } from '../decision';
import type { Action } from './policy-schema';

interface Changes {
  grayscale?: boolean;
  duplex?: boolean;
  maxCopies?: number;
}

/** What the job must change to meet `grayscale`, `duplex` and `maxCopies`; empty if it already does. */
export function neededChanges(wanted: Changes, context: PolicyContext): PrintJobConfigurationChange {
  const { configuration } = context.job;
  const changes: PrintJobConfigurationChange = {};
  // Black and white is already "not colour": asking for grayscale would not save anything.
  if (wanted.grayscale && configuration.colorMode !== 'grayscale' && configuration.colorMode !== 'blackAndWhite')
    changes.colorMode = 'grayscale';
  // Either edge is two-sided; only a one-sided (or unspecified) job is changed, to long edge.
  if (wanted.duplex && (!configuration.duplexMode || configuration.duplexMode === 'oneSided'))
    changes.duplexMode = 'flipOnLongEdge';
  if (wanted.maxCopies !== undefined && (configuration.copies ?? 1) > wanted.maxCopies)
    changes.copies = wanted.maxCopies;
  return changes;
}

const isEmpty = (changes: object) => Object.keys(changes).length === 0;
const withReason = (reason: string | undefined) => (reason ? { reason } : {});

/**
 * Turns a rule's action into a decision for this job; undefined means the rule does not apply
 * after all (a redirect map without this printer), and the next rule is tried.
 */
export function toDecision(action: Action, rule: string, context: PolicyContext): Decision | undefined {
  if ('release' in action) return { action: 'release', rule, ...withReason(action.release.reason) };
  if ('deny' in action) return { action: 'deny', rule, reason: action.deny.reason };
  if ('hold' in action) {
    const { expiresInMinutes, onExpiry, reason, releaseAt, keepLongerUpToMinutes, delegation, ...wanted } = action.hold;
    const changes = neededChanges(wanted, context);
    return {
      action: 'hold',
      rule,
      expiresInMinutes,
      onExpiry,
      ...(isEmpty(changes) ? {} : { configuration: changes }),
      ...(releaseAt ? { releaseAt } : {}),
      ...(keepLongerUpToMinutes && keepLongerUpToMinutes > expiresInMinutes ? { keepLongerUpToMinutes } : {}),
      ...(delegation === false ? { delegation: false as const } : {}),
      ...withReason(reason),
    };
  }
  if ('releaseWithChanges' in action) {
    const { reason, ...wanted } = action.releaseWithChanges;
    const changes = neededChanges(wanted, context);
    // A job that already complies is simply released: nothing to PATCH, one Graph call saved.
    if (isEmpty(changes)) return { action: 'release', rule, ...withReason(reason) };
    return { action: 'release-with-changes', rule, changes, ...withReason(reason) };
  }
  const { printerId, map, reason, ...wanted } = action.redirect;
  const source = context.job.printerId.toLowerCase();
  const destination = printerId ?? Object.entries(map ?? {}).find(([from]) => from.toLowerCase() === source)?.[1];
  if (!destination) return undefined;
  const changes = neededChanges(wanted, context);
  // Redirecting a job to the printer it is on would fail in Graph: release it (with the changes) instead.
  if (destination.toLowerCase() === source)
    return isEmpty(changes)
      ? { action: 'release', rule, ...withReason(reason) }
      : { action: 'release-with-changes', rule, changes, ...withReason(reason) };
  return {
    action: 'redirect',
    rule,
    printerId: destination,
    ...(isEmpty(changes) ? {} : { configuration: changes }),
    ...withReason(reason),
  };
}
