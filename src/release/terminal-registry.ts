import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { issueText } from '../config/zod-issues';
import { errorText, type Log } from '../observability/log';
import { GUID_PATTERN } from '../graph/ids';

/** A release terminal (badge reader, printer panel app): its own key, bound to one printer. */
export const terminalsSchema = z.array(
  z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    printerId: z.string().regex(GUID_PATTERN),
    keySha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the terminal key, in hex'),
  }),
);
export type Terminal = z.infer<typeof terminalsSchema>[number];

/** Terminal keys are long random values, so a plain SHA-256 is enough to keep them out of settings. */
export const terminalKeyHash = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function authenticateTerminal(
  terminals: readonly Terminal[],
  id: string | null,
  key: string | null,
): Terminal | undefined {
  const terminal = terminals.find((t) => t.id === id);
  const given = Buffer.from(terminalKeyHash(key ?? ''), 'hex');
  const expected = Buffer.from(terminal?.keySha256 ?? '0'.repeat(64), 'hex');
  const match = timingSafeEqual(given, expected);
  return terminal && key && match ? terminal : undefined;
}

/** The terminals, or why they cannot be known now (the terminal API then answers 503). */
export type TerminalList = { terminals: readonly Terminal[] } | { unavailable: 'invalid' | 'unreadable' };

/**
 * The terminals from their secret (or setting), parsed and cached for `cacheMs`. A malformed value
 * is an admin's mistake: it is logged at error level (what is wrong, never the value) and the
 * verdict is cached too, so a flood of terminal requests does not re-read the secret. A secret that
 * cannot be read now (Key Vault down) is not cached: the next request tries again. `read` returns
 * undefined when no terminals are configured.
 */
export function terminalRegistry(
  read: () => Promise<string | undefined>,
  options: { cacheMs: number; now?: () => number },
): (log: Log) => Promise<TerminalList> {
  const now = options.now ?? Date.now;
  let cached: { list: TerminalList; until: number } | undefined;
  return async (log) => {
    if (cached && cached.until > now()) return cached.list;
    let text: string | undefined;
    try {
      text = await read();
    } catch (error) {
      log.error('terminal.configuration-unreadable', {
        detail: errorText(error, 300),
        hint: 'The terminals secret (RELEASE_GATE_TERMINALS_SECRET_NAME) could not be read; terminals answer 503.',
      });
      return { unavailable: 'unreadable' };
    }
    const list = parseTerminals(text, log);
    cached = { list, until: now() + options.cacheMs };
    return list;
  };
}

function parseTerminals(text: string | undefined, log: Log): TerminalList {
  if (text === undefined || text.trim() === '') return { terminals: [] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the text: never logged.
    return invalid(log, 'the value is not valid JSON');
  }
  const parsed = terminalsSchema.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    return invalid(log, issue ? issueText(issue, { whole: '(value)' }) : '(value): invalid');
  }
  return { terminals: parsed.data };
}

function invalid(log: Log, detail: string): TerminalList {
  log.error('terminal.configuration-invalid', {
    detail,
    hint:
      'Fix the terminals JSON ([{ "id", "printerId", "keySha256" }]) in the secret RELEASE_GATE_TERMINALS_SECRET_NAME ' +
      '(or RELEASE_GATE_TERMINALS with the settings source); every terminal answers 503 until then.',
  });
  return { unavailable: 'invalid' };
}
