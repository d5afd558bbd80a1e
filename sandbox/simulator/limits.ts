import { GraphHttpError } from './errors';
import type { SimJob } from './model';

/**
 * Universal Print's documented service limits (learn.microsoft.com, "Universal Print limits"):
 * per 10 minutes, 100 jobs per printer and 200 per user; at once, 50 jobs per printer and 4 per
 * user on one printer. Graph does not say which jobs count as "concurrent": the simulator takes the
 * stricter reading, every job not in a final state (held, paused and waiting jobs included).
 */
export interface UniversalPrintLimits {
  jobsPerPrinterPer10Minutes: number;
  jobsPerUserPer10Minutes: number;
  concurrentJobsPerPrinter: number;
  concurrentJobsPerUserPerPrinter: number;
}

export const UNIVERSAL_PRINT_LIMITS: UniversalPrintLimits = {
  jobsPerPrinterPer10Minutes: 100,
  jobsPerUserPer10Minutes: 200,
  concurrentJobsPerPrinter: 50,
  concurrentJobsPerUserPerPrinter: 4,
};

const WINDOW_MS = 10 * 60_000;
const FINAL_STATES = new Set(['completed', 'canceled', 'aborted']);

export const isFinal = (job: SimJob): boolean => FINAL_STATES.has(job.status.state);

const tooMany = (message: string, retryAfterMs?: number) =>
  new GraphHttpError(
    429,
    'TooManyRequests',
    message,
    retryAfterMs === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  );

/** Seconds until the oldest of these arrivals leaves the 10-minute window. */
const untilWindowFrees = (arrivals: SimJob[], now: number) =>
  Math.min(...arrivals.map((j) => Date.parse(j.createdDateTime))) + WINDOW_MS - now;

/**
 * Refuses (429 TooManyRequests, with Retry-After for the per-10-minute limits) a job arriving on a
 * printer over a limit. `userId` is set for a user's own submission; a redirect counts against the
 * destination printer's limits only (it is not a new submission by the user).
 */
export function checkLimits(
  limits: UniversalPrintLimits,
  allJobs: Iterable<SimJob>,
  arrival: { printerId: string; userId?: string },
  now: number,
): void {
  const recent: SimJob[] = [];
  const onPrinter: SimJob[] = [];
  for (const job of allJobs) {
    if (Date.parse(job.createdDateTime) > now - WINDOW_MS) recent.push(job);
    if (job.printerId === arrival.printerId) onPrinter.push(job);
  }
  const recentOnPrinter = recent.filter((j) => j.printerId === arrival.printerId);
  if (recentOnPrinter.length >= limits.jobsPerPrinterPer10Minutes)
    throw tooMany(
      `The printer has received ${limits.jobsPerPrinterPer10Minutes} jobs in 10 minutes, its limit.`,
      untilWindowFrees(recentOnPrinter, now),
    );
  const active = onPrinter.filter((j) => !isFinal(j));
  if (active.length >= limits.concurrentJobsPerPrinter)
    throw tooMany(`The printer has ${limits.concurrentJobsPerPrinter} unfinished jobs, its limit of concurrent jobs.`);
  if (!arrival.userId) return;
  const recentByUser = recent.filter((j) => j.createdBy.id === arrival.userId && !j.redirectedFrom);
  if (recentByUser.length >= limits.jobsPerUserPer10Minutes)
    throw tooMany(
      `The user has sent ${limits.jobsPerUserPer10Minutes} jobs in 10 minutes, their limit.`,
      untilWindowFrees(recentByUser, now),
    );
  if (active.filter((j) => j.createdBy.id === arrival.userId).length >= limits.concurrentJobsPerUserPerPrinter)
    throw tooMany(
      `The user has ${limits.concurrentJobsPerUserPerPrinter} unfinished jobs on this printer, their limit of concurrent jobs.`,
    );
}
