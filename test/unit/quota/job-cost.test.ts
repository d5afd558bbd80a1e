import { applyConfigurationChange, jobCost } from '../../../src/quota/job-cost';
import { decisionChanges } from '../../../src/policy/decision';

describe('what a job costs', () => {
  it('colour when the job asks for color or auto (or names no mode); copies default to 1', () => {
    expect(jobCost({ colorMode: 'color', copies: 3 })).toEqual({
      jobs: 1,
      copies: 3,
      colorJobs: 1,
      colorCopies: 3,
      pages: 3,
      colorPages: 3,
      pagesFrom: 'copies',
    });
    expect(jobCost({ colorMode: 'auto' }).colorJobs).toBe(1);
    expect(jobCost({}).colorCopies).toBe(1);
    expect(jobCost({ colorMode: 'grayscale', copies: 2 })).toMatchObject({
      colorJobs: 0,
      colorCopies: 0,
      colorPages: 0,
    });
    expect(jobCost({ colorMode: 'blackAndWhite' }).colorJobs).toBe(0);
  });

  it('pages are the document pages within the ranges, several to a sheet, times copies', () => {
    const config = {
      colorMode: 'color',
      copies: 2,
      pagesPerSheet: 2,
      pageRanges: [{ start: 1, end: 3 }, { start: 8 }],
    };
    // 10 pages: 1-3 and 8-10 are 6 pages, 3 sheet sides, 2 copies.
    expect(jobCost(config, { count: 10, from: 'document' })).toMatchObject({
      pages: 6,
      colorPages: 6,
      pagesFrom: 'document',
    });
    // A range past the end of the document selects only what exists.
    expect(jobCost({ pageRanges: [{ start: 4, end: 99 }] }, { count: 5, from: 'document' }).pages).toBe(2);
    // Already selected by ranges: not cut again.
    expect(
      jobCost({ pagesPerSheet: 4, pageRanges: [{ start: 1, end: 2 }] }, { count: 9, from: 'page-ranges' }).pages,
    ).toBe(3);
  });

  it('without a page count, closed page ranges give the pages; otherwise one page per copy (a lower bound)', () => {
    expect(jobCost({ copies: 2, pageRanges: [{ start: 2, end: 5 }, { end: 1 }] })).toMatchObject({
      pages: 10,
      pagesFrom: 'page-ranges',
    });
    expect(jobCost({ copies: 2, pageRanges: [{ start: 2 }] })).toMatchObject({ pages: 2, pagesFrom: 'copies' });
    expect(() => jobCost({}, { count: -1, from: 'document' })).toThrow('got -1');
  });

  it("after the decision's changes: forced grayscale costs no colour, fewer copies cost less", () => {
    const asked = { colorMode: 'color', copies: 30 };
    const changes = decisionChanges({
      action: 'release-with-changes',
      rule: 'r',
      changes: { colorMode: 'grayscale', copies: 10 },
    });
    const printed = applyConfigurationChange(asked, changes);
    expect(printed).toEqual({ colorMode: 'grayscale', copies: 10 });
    expect(jobCost(printed)).toMatchObject({ copies: 10, colorCopies: 0 });
    expect(applyConfigurationChange(asked, decisionChanges({ action: 'release', rule: 'r' }))).toBe(asked);
    const held = decisionChanges({
      action: 'hold',
      rule: 'r',
      expiresInMinutes: 5,
      onExpiry: 'deny',
      configuration: { colorMode: 'grayscale' },
    });
    expect(held).toEqual({ colorMode: 'grayscale' });
  });
});
