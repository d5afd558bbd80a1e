import { RestError, type TableClient } from '@azure/data-tables';
import { tableAttemptLimiter } from '../../../src/release/rate-limit';

/** A table with two counter rows for the user, whose deletes fail as told. */
function fakeTable(deleteFails: (rowKey: string) => RestError | undefined) {
  const deleted: string[] = [];
  const table = {
    createTable: async () => undefined,
    listEntities: () =>
      (async function* () {
        yield { partitionKey: 'p', rowKey: 'terminal-1' };
        yield { partitionKey: 'p', rowKey: 'terminal-2' };
      })(),
    deleteEntity: async (_partitionKey: string, rowKey: string) => {
      const failure = deleteFails(rowKey);
      if (failure) throw failure;
      deleted.push(rowKey);
      return {};
    },
  };
  return { table: table as unknown as TableClient, deleted };
}

describe("clearing a user's failed attempts after a new PIN", () => {
  it('deletes every counter; one gone already is fine', async () => {
    const { table, deleted } = fakeTable((row) =>
      row === 'terminal-1' ? new RestError('gone', { statusCode: 404 }) : undefined,
    );
    await tableAttemptLimiter(table).clearUser('user-1');
    expect(deleted).toEqual(['terminal-2']);
  });

  it('says so when storage fails, instead of leaving the user blocked unseen', async () => {
    const busy = new RestError('busy', { statusCode: 503 });
    const { table } = fakeTable(() => busy);
    await expect(tableAttemptLimiter(table).clearUser('user-1')).rejects.toBe(busy);
  });
});
