import { RestError, type TableClient } from '@azure/data-tables';
import { tableUsageStore } from '../../../src/quota/table-usage-store';
import { UsageStoreBusyError } from '../../../src/quota/usage-counting';
import { item } from '../../support/usage-store-contract';

/** A table where every row is missing and every transaction loses to another writer (or fails otherwise). */
function losingTable(failure: RestError) {
  const transactions: unknown[] = [];
  const table = {
    createTable: () => Promise.resolve(),
    getEntity: () => Promise.reject(new RestError('not found', { statusCode: 404 })),
    submitTransaction: (actions: unknown) => {
      transactions.push(actions);
      return Promise.reject(failure);
    },
  };
  return { table: table as unknown as TableClient, transactions };
}

describe('the table usage store against concurrent writers', () => {
  it('retries a transaction that lost an ETag race, then throws a retryable error instead of answering', async () => {
    const { table, transactions } = losingTable(new RestError('precondition failed', { statusCode: 412 }));
    const store = tableUsageStore(table, { maxAttempts: 3, backoffMs: 0 });
    const reserving = store.reserve('u1', 'job-1', [item(1, 5)]);
    await expect(reserving).rejects.toBeInstanceOf(UsageStoreBusyError);
    await expect(reserving).rejects.toMatchObject({ retryable: true });
    expect(transactions).toHaveLength(3);
  });

  it('retries a row another writer created meanwhile (409)', async () => {
    const { table, transactions } = losingTable(new RestError('conflict', { statusCode: 409 }));
    await expect(
      tableUsageStore(table, { maxAttempts: 2, backoffMs: 0 }).reserve('u1', 'job-1', [item(1, 5)]),
    ).rejects.toThrow('The quota usage of job job-1 kept changing under 2 attempts; try again.');
    expect(transactions).toHaveLength(2);
  });

  it('does not retry other failures: they are thrown as they are', async () => {
    const outage = new RestError('server busy', { statusCode: 503 });
    const { table, transactions } = losingTable(outage);
    await expect(tableUsageStore(table, { backoffMs: 0 }).reserve('u1', 'job-1', [item(1, 5)])).rejects.toBe(outage);
    expect(transactions).toHaveLength(1);
  });
});
