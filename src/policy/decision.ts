import type { PrintJobConfigurationChange } from '../graph/print-schemas';
import type { QuotaStanding } from '../quota/quota-model';
import type { PolicyQuotas } from '../quota/standings';

export type { PolicyQuotas };

/**
 * What a release policy can decide for a held print job. The processor acts on each exactly once.
 * `rule` names the rule (or plug-in) that decided; `reason` is shown to the user where Graph
 * allows (abort reason, task description) and recorded in the audit.
 */
export type Decision =
  /** `shadowOf`: in shadow mode, what the policy would have decided (recorded, not acted on). */
  | { action: 'release'; rule: string; reason?: string; shadowOf?: Decision }
  | { action: 'release-with-changes'; rule: string; changes: PrintJobConfigurationChange; reason?: string }
  | {
      action: 'redirect';
      rule: string;
      printerId: string;
      configuration?: PrintJobConfigurationChange;
      reason?: string;
    }
  | { action: 'deny'; rule: string; reason: string }
  | {
      action: 'hold';
      rule: string;
      expiresInMinutes: number;
      onExpiry: 'release' | 'deny';
      /** Applied when the job is released (e.g. grayscale for everyone who prints from the pull queue). */
      configuration?: PrintJobConfigurationChange;
      /** The only printers where the job may come out (e.g. a confidential printer); default: any release printer. */
      releaseAt?: string[];
      /**
       * How long after it was held the job may at most stay held when its owner asks to keep it longer
       * (each ask adds expiresInMinutes, up to this). Unset: it cannot be kept longer.
       */
      keepLongerUpToMinutes?: number;
      /** false: only its owner may release it (no delegates, no hand-over), e.g. on a confidential printer. */
      delegation?: false;
      reason?: string;
    };

/** Everything a policy may look at. Built by the processor from Graph's job and printer. */
export interface PolicyContext {
  tenantId: string;
  now: Date;
  job: {
    id: string;
    printerId: string;
    createdDateTime?: string;
    owner: { id?: string; userPrincipalName?: string; displayName?: string };
    configuration: {
      copies?: number;
      colorMode?: string;
      duplexMode?: string;
      mediaSize?: string;
      pagesPerSheet?: number;
      pageRanges?: { start?: number; end?: number }[];
    };
    document?: { name?: string; sizeBytes?: number; contentType?: string };
  };
  /** Loaded only if the policy asks for it (one Graph call). */
  printer(): Promise<{
    id: string;
    displayName?: string;
    location?: { site?: string; building?: string; floor?: string };
  }>;
  /** The owner's membership of the given groups, looked up lazily and cached (Graph checkMemberGroups). */
  memberOf(groupIds: readonly string[]): Promise<Set<string>>;
  /**
   * Where the owner stands on a quota the policy declares (usage read once, only if asked);
   * undefined: the quota does not apply to this owner now. Throws when usage cannot be read, and
   * wherever no usage is available: a policy with quotas is never decided as if none were reached.
   */
  quota(name: string): Promise<QuotaStanding | undefined>;
}

export interface ReleasePolicy {
  readonly name: string;
  decide(context: PolicyContext): Promise<Decision>;
  /** Quotas the policy decides from; the processor reads usage for them and charges released jobs. */
  readonly quotas?: PolicyQuotas;
  /**
   * Loads the policy (if it is read from a file or URL) and gives its quotas: for what must know
   * them before deciding (page counting, the doctor). Without it, `quotas` is what there is.
   */
  loadQuotas?(): Promise<PolicyQuotas | undefined>;
}

/** The configuration change a decision makes to the job (what it will print with), if any. */
export function decisionChanges(decision: Decision): PrintJobConfigurationChange | undefined {
  if (decision.action === 'release-with-changes') return decision.changes;
  if (decision.action === 'redirect' || decision.action === 'hold') return decision.configuration;
  return undefined;
}

/** Until an admin configures a policy: release every job, and say so in the audit. */
export const releaseEverything: ReleasePolicy = {
  name: 'release-everything',
  decide: async () => ({ action: 'release', rule: 'default: release everything' }),
};
