import type { AuditLog, AuditOutcome } from '../audit/audit-log';
import type { FailSafePrinters } from '../config/fail-safe-printers';
import type { PrintApi } from '../graph/print-api';
import type { PrintJob } from '../graph/print-schemas';
import type { HoldStore } from '../holds/hold-store';
import type { MessageOutbox } from '../messages/message-model';
import type { Log } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { Decision, ReleasePolicy } from '../policy/decision';
import type { PrintTaskMessage } from '../queue/print-task-message';
import type { TaskQueue } from '../queue/task-queue';
import type { TaskClaims } from '../tasks/task-claims';
import type { PageCount } from '../quota/job-cost';
import type { UsageStore } from '../quota/quota-model';
import type { TaskIndex } from '../tasks/task-index';
import type { ClaimStop } from './task-claim';

/** The Graph calls the processor makes: the whole of what a fake print API must offer. */
export type ProcessorApi = Pick<
  PrintApi,
  | 'getTask'
  | 'getJob'
  | 'getPrinter'
  | 'checkMemberGroups'
  | 'setTaskState'
  | 'updateJobConfiguration'
  | 'redirectJob'
  | 'abortJob'
>;

/** `Api`: the whole Graph client in the app (others share it); any ProcessorApi for the processor itself. */
export interface ProcessorDependencies<Api extends ProcessorApi = PrintApi> {
  api: Api;
  policy: ReleasePolicy;
  audit: AuditLog;
  holds: HoldStore;
  /** Which tasks are handled; the reconciler looks here for tasks whose notification never came. */
  tasks: TaskIndex;
  /** One claim per task across instances: only its holder acts (see task-claim.ts). */
  claims: TaskClaims;
  /** Where a task goes back, delayed, when Graph throttles longer than we wait in-process. */
  queue: TaskQueue;
  log: Log;
  tenantId: string;
  /** RELEASE_GATE_FAIL_SAFE_ACTION: the fail-safe for printers nothing else names (see chooseFailSafe). */
  failSafeAction: 'release' | 'deny';
  /** RELEASE_GATE_FAIL_SAFE_PRINTERS, parsed: the fail-safe per printer or display-name pattern. */
  failSafePrinters?: FailSafePrinters;
  maxRetryAfterSeconds: number;
  /** Longest Retry-After a look-up for the policy waits out in-process (default 1 s, half the policy limit). */
  lookupMaxRetryAfterSeconds?: number;
  /** After this many deferrals the task fails like any other error (and ends in the poison queue). */
  maxDeferrals?: number;
  now?: () => Date;
  /** Quota usage: read for decisions, reserved before a decision is journaled, settled when the job ends. */
  usageStore?: UsageStore;
  /**
   * RELEASE_GATE_PAGE_COUNTING on: the pages of a job's document (downloaded, counted, discarded),
   * asked only when a quota counts pages; `unknown` (with why) when they cannot be known (then one
   * page per copy is charged, a lower bound). A transient failure throws: retried, never a decision.
   */
  countPages?: (job: PrintJob, printerId: string) => Promise<PageCount | { unknown: string }>;
  metrics?: Pick<Metrics, 'decision' | 'graphCall' | 'queueAge' | 'poisoned'>;
  /** Messages to a job's owner (denied, held, quota); none when unset. Never throws. */
  messages?: MessageOutbox;
  /** The release page, linked from a `held` message (see releasePageUrl). */
  releasePageUrl?: string;
}

export type ProcessResult =
  | { status: 'acted'; outcome: AuditOutcome; decision: Decision; graphCalls: number }
  | {
      status: 'skipped';
      why: 'already-handled' | 'task-not-processing' | 'still-held' | 'job-mismatch';
      graphCalls: number;
      /** The journal's final outcome, when an earlier run finished the task. */
      outcome?: AuditOutcome;
    }
  | { status: 'job-gone'; graphCalls: number }
  | { status: 'deferred'; delaySeconds: number; graphCalls: number }
  | ClaimStop;

/** An error the queue should retry (throttling we could not wait out, network, Graph 5xx). */
export class RetryableProcessingError extends Error {
  override name = 'RetryableProcessingError';
}

/**
 * One run of one task, holding its claim: what every step (decide, act, handle a failure, record)
 * shares. `api` counts each Graph call and is fenced by the claim (an action is made only while
 * the claim is ours); `message.receivedAt` is the task's journal key.
 */
export interface TaskRun {
  message: PrintTaskMessage;
  deps: ProcessorDependencies<ProcessorApi>;
  api: ProcessorApi;
  /** Graph calls this run made so far (an audit figure). */
  calls(): number;
  log: Log;
  now(): Date;
}
