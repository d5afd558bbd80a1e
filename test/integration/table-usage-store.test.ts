import { TableClient } from '@azure/data-tables';
import { tableUsageStore } from '../../src/quota/table-usage-store';
import { startAzurite, type Azurite } from '../../sandbox/azurite';
import { usageStoreContract } from '../support/usage-store-contract';

/** The table store against Azurite: the same contract as the memory store, and real ETag conflicts. */
describe('the table usage store (Azurite)', () => {
  let azurite: Azurite;
  let tables = 0;

  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  // A table of its own per store: every test (and every property run) starts empty.
  usageStoreContract(
    () =>
      Promise.resolve(
        tableUsageStore(
          TableClient.fromConnectionString(azurite.connectionString, `quotas${process.pid}x${++tables}`, {
            allowInsecureConnection: true,
          }),
          { backoffMs: 5 },
        ),
      ),
    { propertyRuns: 2 },
  );
});
