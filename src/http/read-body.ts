import type { ReadableStream } from 'node:stream/web';

/** Reads a request body, giving up as soon as it exceeds `maxBytes` (so a huge body costs little). */
export async function readBodyWithLimit(
  body: ReadableStream | null,
  maxBytes: number,
): Promise<{ ok: true; bytes: Buffer } | { ok: false }> {
  if (!body) return { ok: true, bytes: Buffer.alloc(0) };
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        // The answer is 413 either way; a stream that fails to cancel has nothing more to tell us.
        await reader.cancel().catch(() => undefined);
        return { ok: false };
      }
      chunks.push(Buffer.from(value));
    }
  } finally {
    reader.releaseLock();
  }
  return { ok: true, bytes: Buffer.concat(chunks, size) };
}
