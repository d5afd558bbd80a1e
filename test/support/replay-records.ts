import type { AuditRecord } from '../../src/audit/audit-log';
import type { PolicyContext, ReleasePolicy } from '../../src/policy/decision';
import { compilePolicy } from '../../src/policy/declarative/rule-engine';
import { parsePolicy } from '../../src/policy/declarative/policy-schema';
import { recordingContext } from '../../src/policy/recorded-context';
import { context, PRINTERS } from './policy-context';

/** Records for replay tests: a declarative candidate, and a decision journaled as the processor does. */
export function declarative(json: object): ReleasePolicy {
  const parsed = parsePolicy({ name: 'candidate', timeZone: 'Europe/London', ...json });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return compilePolicy(parsed.policy, { runPlugin: () => Promise.reject(new Error('no plug-ins')) });
}

/** A record as the processor journals it: `policy` decides the job, through a recording context. */
export async function recorded(
  policy: ReleasePolicy,
  input: Parameters<typeof context>[0] & { jobId?: string },
): Promise<AuditRecord> {
  const base = context(input);
  const ctx: PolicyContext = { ...base, job: { ...base.job, id: input.jobId ?? base.job.id } };
  const recording = recordingContext(ctx);
  const decision = await policy.decide(recording.context);
  return {
    receivedAt: ctx.now.toISOString(),
    taskId: `task-${ctx.job.id}`,
    taskDefinitionId: 'def',
    jobId: ctx.job.id,
    printerId: ctx.job.printerId,
    printerName: input.printer?.displayName ?? PRINTERS.floor1.displayName,
    userPrincipalName: ctx.job.owner.userPrincipalName,
    documentName: input.name ?? 'Report.pdf',
    rule: decision.rule,
    action: decision.action,
    decision,
    outcome: 'released',
    correlationId: 'c',
    decidedAt: ctx.now.toISOString(),
    policyContext: recording.recorded(),
  };
}
