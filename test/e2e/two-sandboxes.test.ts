import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Each sandbox's host runs its functions with its own App (src/app/app.ts), built from its own
 * settings, so a second sandbox in one process works, after the first has stopped or beside it. In a
 * plain Node process: jest's per-file module registry would hide state shared between the two.
 */
describe('two sandboxes in one process', () => {
  it('one after another with other settings, then two at once, each deciding with its own settings', async () => {
    const script = path.join(__dirname, '..', 'support', 'two-sandboxes.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: path.join(__dirname, '..', '..'),
      timeout: 60_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      afterRestart: 'completed',
      atOnce: { released: 'completed', denied: 'aborted' },
    });
  }, 70_000);
});
