import type { InvocationContext } from '@azure/functions';
import { createLog, type Log, type LogFields } from './log';

/** The log of one function invocation: every line names the function and the invocation. */
export function invocationLog(context: InvocationContext, fields: LogFields = {}): Log {
  return createLog(context, { functionName: context.functionName, invocationId: context.invocationId, ...fields });
}
