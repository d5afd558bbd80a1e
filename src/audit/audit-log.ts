import type { TableClient } from '@azure/data-tables';
import type { Decision } from '../policy/decision';
import type { RecordedContext } from '../policy/recorded-context';
import { once } from '../storage/once';
import { isNotFound } from '../storage/not-found';

/**
 * One record per task decision, also the processor's journal: a decision is written before it is
 * acted on, so a redelivered task resumes the *same* decision instead of deciding again.
 * Partitioned by the day the task arrived (reports read by time range). No document content.
 */
export type AuditOutcome =
  | 'pending' // decided, not yet acted on
  | 'released'
  | 'released-with-changes'
  | 'redirected'
  | 'denied'
  | 'held'
  | 'hold-expired' // a held job's hold ran out; its expiry action was applied
  | 'hold-released' // its owner released it at a printer
  | 'hold-deleted' // its owner deleted it
  | 'hold-vanished' // Universal Print deleted the held job (a 404): the hold ended, its owner is told
  | 'already-done' // the task had ended before we acted (someone else, or an earlier run)
  | 'job-gone'
  | 'refused-job-mismatch' // the notification paired the task with a job it does not belong to: nothing done
  | 'failed-safe'; // could not act as decided; the fail-safe action was applied

export interface AuditRecord {
  receivedAt: string;
  taskId: string;
  taskDefinitionId: string;
  jobId: string;
  printerId: string;
  /** The printer's name when the decision was made (reports name printers by it); absent in older records. */
  printerName?: string;
  destinationPrinterId?: string;
  userPrincipalName?: string;
  documentName?: string;
  rule: string;
  action: Decision['action'] | 'fail-safe' | 'refused';
  reason?: string;
  decision: Decision;
  /**
   * On a pull queue, the policy's own decision before the processor turned a release into a hold
   * (onPullQueue), so replay compares a candidate policy with the policy, not the pull queue.
   */
  policyDecision?: Decision;
  /**
   * The context the policy decided from (job metadata and its look-ups' answers), for replay. Kept in
   * its own table column; absent in records written before it was kept, and when the policy never ran.
   */
  policyContext?: RecordedContext;
  /** How the policy got there, one line: each rule tried, ✔ or ✘ with the condition that failed. */
  trace?: string;
  outcome: AuditOutcome;
  detail?: string;
  correlationId: string;
  decidedAt: string;
  completedAt?: string;
  /** Time from the notification reaching us to the decision, and to the end of the Graph calls. */
  decisionMs?: number;
  totalMs?: number;
  graphCalls?: number;
}

export interface AuditLog {
  find(receivedAt: string, taskId: string): Promise<AuditRecord | undefined>;
  write(record: AuditRecord): Promise<void>;
}

const partitionOf = (receivedAt: string) => receivedAt.slice(0, 10);

/** The audit table's entity columns this module writes and reads back. */
export interface AuditEntity {
  record: string;
  policyContext?: string;
}

/** The audit record an entity holds, with its policy context (its own column) when it has one. */
export function auditRecordFromEntity(entity: AuditEntity): AuditRecord {
  const record = JSON.parse(entity.record) as AuditRecord;
  return entity.policyContext
    ? { ...record, policyContext: JSON.parse(entity.policyContext) as RecordedContext }
    : record;
}

export function tableAuditLog(table: TableClient): AuditLog {
  const ensureTable = once(() => table.createTable());
  return {
    async find(receivedAt, taskId) {
      await ensureTable();
      try {
        return auditRecordFromEntity(await table.getEntity<AuditEntity>(partitionOf(receivedAt), taskId));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async write(record) {
      await ensureTable();
      // Flat columns for queries and the workbook, plus the whole record as JSON; the policy context in a
      // column of its own, so the record column does not grow.
      const { policyContext, ...rest } = record;
      await table.upsertEntity(
        {
          partitionKey: partitionOf(record.receivedAt),
          rowKey: record.taskId,
          jobId: record.jobId,
          printerId: record.printerId,
          printerName: record.printerName ?? '',
          user: record.userPrincipalName ?? '',
          rule: record.rule,
          action: record.action,
          outcome: record.outcome,
          decidedAt: record.decidedAt,
          record: JSON.stringify(rest),
          ...(policyContext ? { policyContext: JSON.stringify(policyContext) } : {}),
        },
        'Replace',
      );
    },
  };
}
