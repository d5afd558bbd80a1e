import { readFileSync } from 'node:fs';
import path from 'node:path';
import { settingsObject } from '../../../src/config/settings';
import { MAX_RUN_MS } from '../../../src/processor/task-claim';

/** The claim's figures against the host's: a run may act only while the host still runs it. */
describe('task claim lease figures', () => {
  const hostJson = JSON.parse(readFileSync(path.resolve(__dirname, '../../../host.json'), 'utf8')) as {
    functionTimeout: string;
  };
  const [h, m, s] = hostJson.functionTimeout.split(':').map(Number) as [number, number, number];

  it('stops renewing a claim at host.json functionTimeout', () => {
    expect(MAX_RUN_MS).toBe(((h * 60 + m) * 60 + s) * 1000);
  });

  it('lets a dead run lose its task well within the function timeout, at the default and at the largest lease', () => {
    const lease = settingsObject.shape.RELEASE_GATE_TASK_LEASE_SECONDS;
    expect(lease.parse(undefined) * 1000).toBeLessThan(MAX_RUN_MS);
    expect(() => lease.parse(String(MAX_RUN_MS / 1000))).toThrow();
  });
});
