import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { BODY_LIMITS, withBodyCap } from '../src/http/body-cap';
import { createLog } from '../src/observability/log';

/**
 * `POST /api/terminal/release`: a badge reader or printer panel releases a user's held jobs to its
 * own printer. Anonymous at the host: each terminal authenticates with its own id and key.
 */
export async function releaseAtTerminal(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const log = createLog(context, { functionName: context.functionName, invocationId: context.invocationId });
  const { terminalRelease } = await import('../src/release/terminal-release');
  const { terminalDependencies } = await import('../src/release/release-api-dependencies');
  return terminalRelease(request, await terminalDependencies(log));
}

app.http('terminal-release', {
  route: 'terminal/release',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: withBodyCap(BODY_LIMITS.terminal, releaseAtTerminal),
});
