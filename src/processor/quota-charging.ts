import type { PrintJobConfigurationChange } from '../graph/print-schemas';
import { decisionChanges, type Decision, type PolicyContext } from '../policy/decision';
import { PolicyUnavailableError } from '../policy/evaluation-errors';
import { errorText } from '../observability/log';
import { applyConfigurationChange, jobCost, type PageCount } from '../quota/job-cost';
import {
  userKeyOf,
  type JobCharge,
  type JournaledCharges,
  type QuotaStanding,
  type UsageCounter,
  type UsageStore,
} from '../quota/quota-model';
import { chargeItemsFor, quotaPeriodsFor, standingsFor, type MemberOf, type PolicyQuotas } from '../quota/standings';

/** What a decision prints with, if it prints or may print (a hold may); undefined: it prints nothing. */
export function printedChange(decision: Decision): { change?: PrintJobConfigurationChange } | undefined {
  return decision.action === 'deny' ? undefined : { change: decisionChanges(decision) };
}

/** Whether a declared quota counts pages, the only case page counting is worth a download for. */
export const measuresPages = (quotas: PolicyQuotas | undefined) =>
  !!quotas?.definitions.some((d) => d.measure === 'pages' || d.measure === 'colorPages');

/**
 * One decision's view of its owner's quotas: the policy's `quota(name)` and, once decided, the
 * charge to reserve. The usage store is read at most once per decision, and only if the policy
 * asks or the decision prints. The job's own earlier charge (an earlier try that reserved and then
 * failed) is left out of what it is compared with, so a retry is not decided against itself.
 * A storage failure is thrown as a transient PolicyUnavailableError: retried, never decided on.
 */
export function quotaSession(input: {
  store: UsageStore | undefined;
  quotas: () => PolicyQuotas | undefined;
  job: PolicyContext['job'];
  /** The key the job's charge is kept under (chargeKeyOf; a redirected job's is its original's). */
  jobKey: string;
  now: Date;
  memberOf: MemberOf;
  pages?: PageCount;
}) {
  const { job, now } = input;
  const userKey = userKeyOf(job.owner);
  const failures: unknown[] = [];
  let read: Promise<UsageCounter[]> | undefined;

  const counters = (quotas: PolicyQuotas): Promise<UsageCounter[]> => {
    const { store } = input;
    if (!store) throw new Error('The policy declares quotas, but no usage store is configured');
    if (!userKey) throw new Error(`Job ${job.id} has no owner whose quotas could be counted`);
    read ??= Promise.all([
      store.read(userKey, quotaPeriodsFor(quotas.definitions, now, quotas.timeZone)),
      store.charge(userKey, input.jobKey),
    ]).then(([found, own]) => withoutCharge(found, own));
    return read.catch((error: unknown) => {
      read = undefined; // not kept: the next try reads again
      const failure = new PolicyUnavailableError(`The quota usage could not be read: ${errorText(error, 300)}`, true, {
        cause: error,
      });
      failures.push(failure);
      throw failure;
    });
  };

  const declared = (): PolicyQuotas => {
    const quotas = input.quotas();
    if (!quotas?.definitions.length) throw new Error('The policy declares no quotas');
    return quotas;
  };

  return {
    /** The policy's `quota(name)`: undefined when the quota does not apply to this owner now. */
    async quota(name: string): Promise<QuotaStanding | undefined> {
      const quotas = declared();
      if (!quotas.definitions.some((d) => d.name === name))
        throw new Error(
          `No quota is named "${name}"; the policy declares: ${quotas.definitions.map((d) => d.name).join(', ')}`,
        );
      const standings = await standingsFor({
        ...quotas,
        now,
        owner: job.owner,
        memberOf: input.memberOf,
        cost: jobCost(job.configuration, input.pages),
        counters: await counters(quotas),
      });
      return standings.get(name);
    },
    /** A failure reading usage the policy may have caught: thrown after the evaluation, to be retried. */
    failure: (): unknown => failures[0],
    /**
     * The charge for a decision that prints or may print: the cost of the FINAL configuration (the
     * decision's changes applied) in each quota that applies. Items the user still had room for are
     * enforced by the store (a job of the same user reserving meanwhile refuses this one, which is
     * then decided again); an item the policy chose to print over the limit is counted, not refused.
     */
    async chargesFor(decision: Decision): Promise<JournaledCharges | undefined> {
      const quotas = input.quotas();
      const printed = printedChange(decision);
      // A job with no owner (Graph always names one) has nobody to charge: nothing is reserved.
      if (!quotas?.definitions.length || !printed || !userKey) return undefined;
      const final = applyConfigurationChange(job.configuration, printed.change);
      const items = await chargeItemsFor({
        ...quotas,
        now,
        owner: job.owner,
        memberOf: input.memberOf,
        cost: jobCost(final, input.pages),
      });
      if (items.length === 0) return undefined;
      const current = await counters(quotas);
      return {
        userKey,
        jobKey: input.jobKey,
        items: items.map((item) => {
          const counter = current.find((c) => c.quota === item.quota && c.periodKey === item.periodKey);
          const used = (counter?.confirmed ?? 0) + (counter?.reserved ?? 0);
          const fits = used + item.amount <= item.limit + (counter?.topUp ?? 0);
          return fits ? item : { ...item, overLimit: true };
        }),
      };
    },
  };
}

export type QuotaSession = ReturnType<typeof quotaSession>;

/** The counters as if the job's own earlier charge had not been made. */
function withoutCharge(counters: UsageCounter[], own: JobCharge | undefined): UsageCounter[] {
  if (!own || own.state === 'cancelled') return counters;
  return counters.map((counter) => {
    const amount = own.items
      .filter((i) => i.quota === counter.quota && i.periodKey === counter.periodKey)
      .reduce((sum, i) => sum + i.amount, 0);
    if (amount === 0) return counter;
    return own.state === 'reserved'
      ? { ...counter, reserved: Math.max(0, counter.reserved - amount) }
      : { ...counter, confirmed: Math.max(0, counter.confirmed - amount) };
  });
}
