import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { BODY_LIMITS, withBodyCap } from '../src/http/body-cap';
import { currentApp } from '../src/app/app';
import { invocationLog } from '../src/observability/invocation-log';

/**
 * `POST /api/terminal/release`: a badge reader or printer panel releases a user's held jobs to its
 * own printer. Anonymous at the host: each terminal authenticates with its own id and key.
 */
export async function releaseAtTerminal(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = invocationLog(context);
  const { terminalRelease } = await import('../src/release/terminal-release');
  const full = await currentApp().full(log);
  return terminalRelease(request, await full.terminal(log));
}

app.http('terminal-release', {
  route: 'terminal/release',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: withBodyCap(BODY_LIMITS.terminal, releaseAtTerminal),
});
