import { app } from '@azure/functions';
import { currentApp } from '../src/app/app';
import { createLog } from '../src/observability/log';

/**
 * Request bodies reach the handlers as streams (the v4 model's HTTP streaming) instead of being
 * read whole, up to the host's limit, before any handler can refuse them: each route then reads
 * only as much as it accepts (src/http/body-cap.ts).
 */
app.setup({ enableHttpStream: true });

/**
 * Not a function: validates every setting when the worker starts, so a missing or unresolved
 * setting is one clear error in the logs at start-up (listing every problem), not a surprise on
 * the first notification. Handlers parse the same settings and fail with the same message.
 * Then, without holding the worker up, checks that the function key Graph must send is available.
 */
app.hook.appStart(() => {
  const releaseGate = currentApp();
  void (async () => {
    const { reportFunctionKeyProblem } = await import('../src/upkeep/function-key');
    await reportFunctionKeyProblem(releaseGate.settings, releaseGate.secrets, createLog(console));
  })().catch((error: unknown) => console.error(`Release Gate start-up check failed: ${String(error)}`));
});
