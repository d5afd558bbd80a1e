import type { ChargeItem, JournaledCharges, QuotaMeasure, UsageStore } from './quota-model';

/**
 * Settling a job's quota charge when the job ends, exactly once: the charge was reserved before
 * the decision was journaled, so whoever ends the job (the processor, a release at a printer, a
 * delete, the expiry timer, the fail-safe) settles it from the journal before writing the final
 * audit record. A crash between the two is settled again on the next try: confirm and cancel are
 * idempotent per job in the usage store.
 */

/** What a job's end does to its charge: it printed (confirm), it did not (cancel), or not yet (keep). */
export type Settlement = 'confirm' | 'cancel' | 'keep';

const PRINTED = new Set(['released', 'released-with-changes', 'redirected', 'hold-released']);
const NOT_PRINTED = new Set(['denied', 'job-gone', 'hold-deleted', 'hold-vanished', 'refused-job-mismatch']);

/**
 * The settlement an audit outcome means. Outcomes that do not say whether the job printed
 * (`hold-expired`, `already-done`, `failed-safe`) need `printed` from the caller, who knows what
 * was done or what the ended task says; without it the reservation is kept (it still counts, so
 * usage is never under-counted).
 */
export function settlementOf(outcome: string, printed?: boolean): Settlement {
  if (PRINTED.has(outcome)) return 'confirm';
  if (NOT_PRINTED.has(outcome)) return 'cancel';
  if (printed === undefined) return 'keep';
  return printed ? 'confirm' : 'cancel';
}

/**
 * Settles a journaled charge. Nothing journaled: nothing to do. A charge without a usage store is
 * a wiring error, thrown (never "settled" by forgetting it). A storage failure is thrown to be
 * retried like any other; it never changes what happens to the job.
 */
export async function settleCharges(
  store: UsageStore | undefined,
  record: { jobId: string; quotaCharges?: JournaledCharges },
  how: Settlement,
  finalItems?: ChargeItem[],
): Promise<void> {
  const charges = record.quotaCharges;
  if (!charges || how === 'keep') return;
  if (!store) throw new Error(`Job ${record.jobId} has a quota charge to ${how}, but no usage store is configured`);
  if (how === 'confirm') await store.confirm(charges.userKey, charges.jobKey, finalItems);
  else await store.cancel(charges.userKey, charges.jobKey);
}

const COLOUR_MEASURES = new Set<QuotaMeasure>(['colorJobs', 'colorCopies', 'colorPages']);
const PER_COPY_MEASURES = new Set<QuotaMeasure>(['copies', 'colorCopies', 'pages', 'colorPages']);

/**
 * A reserved charge for a job its owner released with less than was reserved for: fewer copies
 * (per-copy measures scale down) and/or grayscale (colour measures cost nothing). Never more than
 * reserved, item by item.
 */
export function chargesForLess(
  items: ChargeItem[],
  change: { copiesBefore: number; copiesAfter: number; grayscale: boolean },
): ChargeItem[] {
  const before = Math.max(1, change.copiesBefore);
  const after = Math.max(1, Math.min(before, change.copiesAfter));
  return items.map((item) => {
    let amount = item.amount;
    if (change.grayscale && COLOUR_MEASURES.has(item.measure)) amount = 0;
    // Pages are whole pages per copy times copies, so the per-copy share is exact.
    else if (PER_COPY_MEASURES.has(item.measure)) amount = Math.ceil(item.amount / before) * after;
    return { ...item, amount: Math.min(item.amount, amount) };
  });
}
