import path from 'node:path';

/**
 * The app's root folder (where package.json, policies/ and web/ are): two levels above a module in
 * src/ when run from source, three when compiled into dist/src/.
 */
export const APP_ROOT =
  path.basename(path.resolve(__dirname, '..')) === 'dist'
    ? path.resolve(__dirname, '..', '..')
    : path.resolve(__dirname, '..');
