import { HttpRequest, InvocationContext } from '@azure/functions';

/** A request as the Functions host builds it (the public constructor exists for tests). */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' },
): HttpRequest {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new HttpRequest({ method: 'POST', url, headers, body: { string: text } });
}

export interface CapturedLog {
  level: string;
  event: Record<string, unknown>;
}

/** An InvocationContext whose log lines are captured and parsed back from JSON. */
export function capturingContext(functionName = 'notifications'): { context: InvocationContext; logs: CapturedLog[] } {
  const logs: CapturedLog[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: 'test-invocation',
    logHandler: (level, ...args) => {
      const text = args.map(String).join(' ');
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(text) as Record<string, unknown>;
      } catch {
        event = { text };
      }
      logs.push({ level, event });
    },
  });
  return { context, logs };
}
