import type { JobCost, QuotaMeasure } from './quota-model';

/** The part of a job's configuration its cost depends on (as the policy context holds it). */
export interface CostConfiguration {
  copies?: number;
  colorMode?: string;
  duplexMode?: string;
  mediaSize?: string;
  pagesPerSheet?: number;
  pageRanges?: { start?: number; end?: number }[];
}

/** A page count for the job: the document's pages (ranges still apply), or pages already selected by ranges. */
export interface PageCount {
  count: number;
  from: 'document' | 'page-ranges';
}

/**
 * The configuration the job prints with once a decision's changes (a PrintJobConfigurationChange:
 * grayscale, copies …) are applied. With src/policy/decision.ts's decisionChanges(decision).
 */
export function applyConfigurationChange<T extends CostConfiguration>(
  configuration: T,
  change: Partial<CostConfiguration> | undefined,
): T {
  if (!change) return configuration;
  const defined = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
  return { ...configuration, ...defined };
}

/**
 * Colour unless the job asks for grayscale or black and white. `auto` (and a job that names no
 * mode, which prints as auto) lets the printer use colour whenever the document has any, and
 * Release Gate does not read the document, so it is charged as colour: the quota fails closed, and a
 * user who wants to save colour can print in grayscale.
 */
export const isColour = (colorMode: string | undefined) =>
  colorMode === undefined || colorMode === 'color' || colorMode === 'auto';

/** Pages of a `count`-page document that the ranges select (open ends run to the document's ends). */
function pagesInRanges(count: number, ranges: CostConfiguration['pageRanges']): number {
  if (!ranges || ranges.length === 0) return count;
  return ranges.reduce((sum, r) => {
    const start = Math.max(1, r.start ?? 1);
    const end = Math.min(count, r.end ?? count);
    return sum + Math.max(0, end - start + 1);
  }, 0);
}

/** Pages the ranges name when every range is closed (has an end); undefined when any is open. */
function pagesOfClosedRanges(ranges: CostConfiguration['pageRanges']): number | undefined {
  if (!ranges || ranges.length === 0 || ranges.some((r) => r.end === undefined)) return undefined;
  return ranges.reduce((sum, r) => sum + Math.max(0, r.end! - Math.max(1, r.start ?? 1) + 1), 0);
}

/**
 * What a job costs in every measure. Pages are printed page images: the selected pages, several
 * to a sheet when pagesPerSheet says so, times copies. Without a page count and without closed
 * page ranges the job is charged one page per copy, a lower bound (`pagesFrom: 'copies'`).
 * Pass the configuration AFTER the decision's changes ({@link applyConfigurationChange}).
 */
export function jobCost(configuration: CostConfiguration, pages?: PageCount): JobCost {
  const copies = Math.max(1, Math.floor(configuration.copies ?? 1)); // Graph leaves copies out for one
  const perSheet = Math.max(1, Math.floor(configuration.pagesPerSheet ?? 1));
  const colour = isColour(configuration.colorMode);
  let selected: number | undefined;
  let pagesFrom: JobCost['pagesFrom'] = 'copies';
  if (pages) {
    if (!Number.isInteger(pages.count) || pages.count < 0)
      throw new Error(`A page count must be a whole number ≥ 0, got ${pages.count}`);
    selected = pages.from === 'document' ? pagesInRanges(pages.count, configuration.pageRanges) : pages.count;
    pagesFrom = pages.from;
  } else {
    selected = pagesOfClosedRanges(configuration.pageRanges);
    if (selected !== undefined) pagesFrom = 'page-ranges';
  }
  const printed = selected === undefined ? copies : Math.ceil(selected / perSheet) * copies;
  return {
    jobs: 1,
    copies,
    colorJobs: colour ? 1 : 0,
    colorCopies: colour ? copies : 0,
    pages: printed,
    colorPages: colour ? printed : 0,
    pagesFrom,
  };
}

/** A job's cost in one measure. */
export const costIn = (cost: JobCost, measure: QuotaMeasure): number => cost[measure];
