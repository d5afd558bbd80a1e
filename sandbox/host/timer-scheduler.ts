import { Cron } from 'croner';
import type { Timer } from '@azure/functions';
import { createInvocationContext, withTimeout, type HostLogSink } from './invocation';
import type { TimerRegistration } from './registrations';

export interface TimerScheduler {
  /** Runs the function now, as the host's admin endpoint does. */
  runNow(): Promise<void>;
  /** No more runs; resolves when a run still going has ended (before its storage is stopped). */
  stop(): Promise<void>;
}

/** Timer triggers on their NCRONTAB schedules (six fields, seconds first, UTC). */
export function startTimer(options: {
  registration: TimerRegistration;
  functionTimeoutMs: number;
  log: HostLogSink;
}): TimerScheduler {
  const { registration } = options;
  let last: Date | undefined;
  const running = new Set<Promise<void>>();
  const invoke = (isPastDue: boolean): Promise<void> => {
    const run = invokeOnce(isPastDue).finally(() => running.delete(run));
    running.add(run);
    return run;
  };
  const invokeOnce = async (isPastDue: boolean) => {
    const next = cron.nextRun() ?? new Date(0);
    const timer: Timer = {
      isPastDue,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (last ?? new Date(0)).toISOString(),
        next: next.toISOString(),
        lastUpdated: new Date().toISOString(),
      },
    };
    last = new Date();
    const context = createInvocationContext(registration.name, options.log);
    try {
      await withTimeout(
        Promise.resolve(registration.handler(timer, context)),
        options.functionTimeoutMs,
        registration.name,
      );
    } catch (error) {
      // The stack and the cause (e.g. "fetch failed" ← ECONNREFUSED 127.0.0.1:1234) say where it broke.
      const reason =
        error instanceof Error ? (error.cause as { message?: string; code?: string } | undefined) : undefined;
      const cause = reason ? `\n  cause: ${reason.code ?? ''} ${reason.message ?? String(reason)}` : '';
      context.error(
        `Function ${registration.name} failed: ${error instanceof Error ? error.stack : String(error)}${cause}`,
      );
    }
  };
  // protect: a run still going when the next is due is skipped, as the host's singleton lock does.
  const cron = new Cron(registration.schedule, { timezone: 'UTC', protect: true }, () => invoke(false));
  if (registration.runOnStartup) void invoke(false);
  return {
    runNow: () => invoke(false),
    async stop() {
      cron.stop();
      // A run left going would retry against storage that is gone, and keep the process alive.
      await Promise.allSettled([...running]);
    },
  };
}
