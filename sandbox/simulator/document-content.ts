import { randomBytes } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';

/** A real PDF of `pages` blank A4 pages: the content behind a simulated job's document. */
export async function pdfWithPages(pages: number): Promise<Buffer> {
  if (!Number.isInteger(pages) || pages < 1 || pages > 10_000)
    throw new Error(`A document has 1 to 10000 pages, not ${String(pages)}.`);
  const document = await PDFDocument.create();
  for (let i = 0; i < pages; i++) document.addPage([595, 842]);
  return Buffer.from(await document.save());
}

export interface DownloadAnswer {
  status: number;
  contentType: string;
  body: Buffer | string;
}

/**
 * Graph answers a document's `$value` with a 302 to a pre-authenticated URL that "is only valid for a
 * short period of time and does not require an Authorization header" (printdocument-get-file). Strict:
 * each link expires after `lifetimeMs`, and a request that sends an Authorization header anyway is
 * refused, so a client that leaks its Graph token to the download host fails here.
 */
export class DocumentLinks {
  private readonly links = new Map<string, { content: Buffer; contentType: string; expires: number }>();

  constructor(
    private readonly lifetimeMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new link's path (`/_content/<token>`), to be put after the simulator's origin. */
  create(content: Buffer, contentType: string): string {
    for (const [token, link] of this.links) if (link.expires <= this.now()) this.links.delete(token);
    const token = randomBytes(24).toString('base64url');
    this.links.set(token, { content, contentType, expires: this.now() + this.lifetimeMs });
    return `/_content/${token}`;
  }

  answer(token: string, authorization: string | undefined): DownloadAnswer {
    const refuse = (status: number, message: string): DownloadAnswer => ({
      status,
      contentType: 'text/plain; charset=utf-8',
      body: message,
    });
    if (authorization)
      return refuse(400, 'This pre-authenticated URL takes no Authorization header: do not send a token here.');
    const link = this.links.get(token);
    if (!link) return refuse(404, 'No such download link.');
    if (link.expires <= this.now()) {
      this.links.delete(token);
      return refuse(403, 'The download link has expired: ask Graph for the document again.');
    }
    return { status: 200, contentType: link.contentType, body: link.content };
  }
}
