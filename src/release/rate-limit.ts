import { createHash } from 'node:crypto';
import { RestError, odata, type TableClient } from '@azure/data-tables';
import { once } from '../storage/once';
import { tableKey } from '../storage/table-keys';
import { isNotFound, missingAsUndefined } from '../storage/not-found';

/**
 * Failed terminal sign-ins, counted in a table so every instance sees the same counts, with
 * exponential back-off instead of a hard lock-out:
 *
 * - per terminal: every failure at a terminal, whoever it names. Guessing across many users from
 *   one terminal slows down; only that terminal is affected.
 * - per (terminal, user): the failures naming one user (by object id when the badge or name is
 *   known, else by the badge or name as typed) at one terminal. Guessing one user's PIN slows down
 *   there, and nowhere else: a stranger failing on purpose cannot lock the user out of other
 *   terminals, the release page, or their own badge elsewhere. The user's own PIN reset on the
 *   release page clears these counts everywhere; a right PIN clears the count at that terminal.
 *
 * A rule allows `freeFailures`; after that each failure starts a wait of `firstDelaySeconds`,
 * doubling up to `maxDelaySeconds`. Counts are forgotten `forgetAfterSeconds` after the last failure.
 * An attempt during a wait is refused and counted (a guesser who keeps going waits longer).
 */
export interface BackOffRule {
  freeFailures: number;
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  forgetAfterSeconds: number;
}

export const TERMINAL_RULE: BackOffRule = {
  freeFailures: 20,
  firstDelaySeconds: 5,
  maxDelaySeconds: 600,
  forgetAfterSeconds: 3600,
};
export const TERMINAL_USER_RULE: BackOffRule = {
  freeFailures: 5,
  firstDelaySeconds: 30,
  maxDelaySeconds: 3600,
  forgetAfterSeconds: 86_400,
};

/** Who an attempt named: a known user (object id), or the badge or name as typed when nobody matched. */
export type AttemptSubject = { objectId: string } | { typed: string };

interface CounterEntity {
  failures: number;
  lastFailureAt: string;
  blockedUntil: string;
}

const hash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const subjectPartition = (subject: AttemptSubject) =>
  `attempts-${hash('objectId' in subject ? `user:${subject.objectId.toLowerCase()}` : `typed:${subject.typed.toLowerCase()}`)}`;

export function tableAttemptLimiter(
  table: TableClient,
  options: { now?: () => Date; terminalRule?: BackOffRule; userRule?: BackOffRule } = {},
) {
  const ensureTable = once(() => table.createTable());
  const now = options.now ?? (() => new Date());
  const counters = (terminalId: string, subject: AttemptSubject) => [
    { partitionKey: 'attempts-terminal', rowKey: tableKey(terminalId), rule: options.terminalRule ?? TERMINAL_RULE },
    {
      partitionKey: subjectPartition(subject),
      rowKey: tableKey(terminalId),
      rule: options.userRule ?? TERMINAL_USER_RULE,
    },
  ];

  async function read(partitionKey: string, rowKey: string) {
    try {
      return await table.getEntity<CounterEntity>(partitionKey, rowKey);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** One more failure on a counter, etag-guarded so concurrent failures on other instances all count. */
  async function addFailure(partitionKey: string, rowKey: string, rule: BackOffRule): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const entity = await read(partitionKey, rowKey);
      const at = now();
      const stale = !entity || at.getTime() - Date.parse(entity.lastFailureAt) > rule.forgetAfterSeconds * 1000;
      const failures = (stale ? 0 : entity.failures) + 1;
      const over = failures - rule.freeFailures;
      const delay = over > 0 ? Math.min(rule.maxDelaySeconds, rule.firstDelaySeconds * 2 ** Math.min(over - 1, 30)) : 0;
      const next = {
        partitionKey,
        rowKey,
        failures,
        lastFailureAt: at.toISOString(),
        blockedUntil: new Date(at.getTime() + delay * 1000).toISOString(),
      };
      try {
        if (entity) await table.updateEntity(next, 'Replace', { etag: entity.etag });
        else await table.createEntity(next);
        return;
      } catch (error) {
        const conflict = error instanceof RestError && (error.statusCode === 412 || error.statusCode === 409);
        if (!conflict || attempt >= 5) throw error;
      }
    }
  }

  return {
    /** Whether this terminal, or this user at this terminal, must wait before trying again. */
    async mustWait(terminalId: string, subject: AttemptSubject): Promise<boolean> {
      await ensureTable();
      const at = now().getTime();
      const states = await Promise.all(counters(terminalId, subject).map((c) => read(c.partitionKey, c.rowKey)));
      return states.some((s) => s !== undefined && Date.parse(s.blockedUntil) > at);
    },

    async recordFailure(terminalId: string, subject: AttemptSubject): Promise<void> {
      await ensureTable();
      for (const c of counters(terminalId, subject)) await addFailure(c.partitionKey, c.rowKey, c.rule);
    },

    /** A right PIN: this user's count at this terminal starts again (the terminal's own count stays). */
    async recordSuccess(terminalId: string, subject: AttemptSubject): Promise<void> {
      await ensureTable();
      await table.deleteEntity(subjectPartition(subject), tableKey(terminalId)).catch(missingAsUndefined);
    },

    /** The user set a new PIN on the release page: their counts at every terminal are cleared. */
    async clearUser(objectId: string): Promise<void> {
      await ensureTable();
      const partitionKey = subjectPartition({ objectId });
      for await (const entity of table.listEntities({
        queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` },
      }))
        // Gone already is fine; a failure is not: the user would stay blocked with no one the wiser.
        await table.deleteEntity(partitionKey, entity.rowKey!).catch(missingAsUndefined);
    },
  };
}

export type AttemptLimiter = ReturnType<typeof tableAttemptLimiter>;
