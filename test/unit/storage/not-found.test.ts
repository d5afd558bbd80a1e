import { RestError } from '@azure/data-tables';
import { isNotFound, missingAsUndefined } from '../../../src/storage/not-found';

const status = (statusCode: number) => new RestError(`status ${statusCode}`, { statusCode });

describe('missing table rows', () => {
  it('knows a 404 from storage, and nothing else', () => {
    expect(isNotFound(status(404))).toBe(true);
    for (const other of [status(409), status(500), new Error('404'), { statusCode: 404 }, undefined])
      expect(isNotFound(other)).toBe(false);
  });

  it('turns a 404 into undefined and throws every other failure on', async () => {
    await expect(Promise.reject(status(404)).catch(missingAsUndefined)).resolves.toBeUndefined();
    const busy = status(503);
    await expect(Promise.reject(busy).catch(missingAsUndefined)).rejects.toBe(busy);
    const odd = new Error('socket hang up');
    await expect(Promise.reject(odd).catch(missingAsUndefined)).rejects.toBe(odd);
  });
});
