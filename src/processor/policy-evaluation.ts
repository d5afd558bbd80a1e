import { GraphError } from '@microsoft/microsoft-graph-client';
import { GRAPH_PERMISSIONS } from '../graph/app-permissions';
import { classifyGraphError } from '../graph/graph-errors';
import type { LookupOptions, PrintApi } from '../graph/print-api';
import type { Printer } from '../graph/print-schemas';
import { errorText } from '../observability/log';
import { policyUnavailable } from '../policy/evaluation-errors';

/**
 * The Graph look-ups a policy may ask for (the printer, group membership), bounded so they never wait
 * out a Retry-After longer than the policy may take, and remembering what failed: a policy may catch
 * a look-up's error and throw its own, and the failure still counts for what it was.
 */
export function evaluationLookups(
  api: Pick<PrintApi, 'getPrinter' | 'checkMemberGroups'>,
  options: LookupOptions,
): {
  getPrinter(printerId: string): Promise<Printer>;
  memberOf(userId: string, groupIds: readonly string[]): Promise<Set<string>>;
  failures: unknown[];
} {
  const failures: unknown[] = [];
  const noted = <T>(work: Promise<T>) =>
    work.catch((error: unknown) => {
      failures.push(error);
      throw error;
    });
  return {
    getPrinter: (printerId) => noted(api.getPrinter(printerId, options)),
    memberOf: (userId, groupIds) => noted(api.checkMemberGroups(userId, groupIds, options)),
    failures,
  };
}

const permission = (name: string) => {
  const found = GRAPH_PERMISSIONS.find((p) => p.name === name);
  return found ? `${found.name}${found.optIn ? ` (Bicep opt-in ${found.optIn})` : ''}` : name;
};
/** For a look-up Graph refused (403): the permissions the policy's look-ups need, from the one list. */
export const LOOKUP_PERMISSION_HINT =
  `A look-up the policy needs was refused: groups rules need ${permission('GroupMember.Read.All')}; ` +
  `printers and location conditions need ${permission('Printer.Read.All')}.`;

/** What to do about a policy that could not decide. */
export type EvaluationFailure =
  /** Retry through the queue: `error` is what to throw (a Graph error keeps its Retry-After). */
  | { transient: true; error: unknown; message: string }
  /** Retrying will not help: the fail-safe decides now, and an admin is told. */
  | { transient: false; kind: 'policy' | 'forbidden' | 'not-found' | 'refused'; message: string };

function graphErrorIn(error: unknown): GraphError | undefined {
  for (let e = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof GraphError) return e;
  return undefined;
}

const messageOf = (error: unknown) => errorText(error, 500);

/**
 * Sorts a failed evaluation. Transient: Graph throttling, 5xx or the network during a look-up, a
 * time limit, a policy source not read yet. Permanent: a look-up Graph refuses for good (403: a
 * missing permission such as GroupMember.Read.All; 404; 400), a policy that is invalid or whose
 * plug-in did not load, and an error the policy itself throws (a bug: it would throw again).
 */
export function classifyEvaluationFailure(error: unknown, lookupFailures: readonly unknown[] = []): EvaluationFailure {
  const fromGraph = (failed: unknown): EvaluationFailure => {
    const failure = classifyGraphError(failed);
    if (failure.kind === 'throttled' || failure.kind === 'transient')
      return { transient: true, error: failed, message: failure.message };
    const kind = failure.kind === 'conflict' ? 'refused' : failure.kind;
    return { transient: false, kind, message: `a look-up was refused: ${failure.message}` };
  };
  const graphError = graphErrorIn(error);
  if (graphError) return fromGraph(graphError);
  const unavailable = policyUnavailable(error);
  if (unavailable?.transient) return { transient: true, error, message: unavailable.message };
  // A look-up failed and the policy threw something else: the look-up's failure is the cause.
  const lookup = lookupFailures[0];
  if (lookup !== undefined) return fromGraph(graphErrorIn(lookup) ?? lookup);
  return { transient: false, kind: 'policy', message: messageOf(error) };
}

/**
 * A look-up that failed transiently while the policy still decided: a plug-in's fail mode or a code
 * policy absorbed it. That decision came from a passing failure, so it is not acted on: the first such
 * failure is returned, to be retried like the others.
 */
export function absorbedTransientFailure(lookupFailures: readonly unknown[]): unknown {
  return lookupFailures.find((failure) => {
    const kind = classifyGraphError(graphErrorIn(failure) ?? failure).kind;
    return kind === 'throttled' || kind === 'transient';
  });
}
