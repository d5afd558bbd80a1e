import type { PrintApi } from '../graph/print-api';
import type { PrintJob } from '../graph/print-schemas';
import { countDocumentPages, type PageCount } from './count-pages';

export interface PageCountingDeps {
  printApi: Pick<PrintApi, 'getJob' | 'downloadDocument'>;
  /** RELEASE_GATE_PAGE_COUNTING_MAX_BYTES: a larger document's pages are unknown. */
  maxBytes: number;
  /** For the download, within the policy's time budget (default 10 s). */
  timeoutMs?: number;
}

/**
 * A job's pages, counted from its document at decision time (page counting on, and a policy with a
 * pages quota). The document is downloaded into memory, counted and dropped: only the number is
 * returned, never stored or logged. `unknown` (with why) means the quota charges one page per copy.
 * Failures to get the document (throttling, a missing permission, the time limit) are thrown: the
 * task is retried or the fail-safe decides, never a silent "unknown".
 */
export async function countJobPages(deps: PageCountingDeps, job: PrintJob, printerId: string): Promise<PageCount> {
  const documents = job.documents ?? (await deps.printApi.getJob(printerId, job.id, { documents: true })).documents;
  if (!documents || documents.length === 0) return { unknown: 'the job has no document' };
  let count = 0;
  // Universal Print sends one document per job; should there be more, every one is counted.
  for (const document of documents) {
    if (typeof document.size === 'number' && document.size > deps.maxBytes)
      return { unknown: tooLarge(document.size, deps.maxBytes) };
    const download = await deps.printApi.downloadDocument(printerId, job.id, document.id, {
      maxBytes: deps.maxBytes,
      timeoutMs: deps.timeoutMs ?? 10_000,
    });
    if ('tooLarge' in download) return { unknown: tooLarge(download.tooLarge.size, deps.maxBytes) };
    const pages = await countDocumentPages(download.bytes);
    if ('unknown' in pages) return pages;
    count += pages.count;
  }
  return { count, from: 'document' };
}

const tooLarge = (size: number | undefined, maxBytes: number) =>
  `the document${size === undefined ? '' : ` (${size} bytes)`} is larger than ` +
  `RELEASE_GATE_PAGE_COUNTING_MAX_BYTES (${maxBytes} bytes)`;
