import { memoryUsageStore } from '../../../src/quota/memory-usage-store';
import { usageStoreContract } from '../../support/usage-store-contract';

describe('the memory usage store', () => {
  usageStoreContract(() => Promise.resolve(memoryUsageStore()), { propertyRuns: 100 });
});
