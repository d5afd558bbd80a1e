/**
 * Builds the deployment package the way `azd deploy` does for this app (azure.yaml: `language: ts`,
 * `host: function`, `remoteBuild: true`): the build script runs first (here as a compile check: dist/ is
 * not shipped, Azure compiles the sources itself), then every project file that `.funcignore`
 * (gitignore syntax) leaves is zipped, less what azd always leaves out (`.azure/`, the `.funcignore`
 * file, `local.settings.json`). Azure then installs the dependencies from package-lock.json and runs
 * `npm run build` on the server. See README "Deploying to Azure".
 *
 *   npm run package [-- [--out <zip>] [--no-check]]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import ignore from 'ignore';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const DEFAULT_PACKAGE_PATH = path.join(PROJECT_ROOT, 'dist', 'release-gate-package.zip');

/** What azd leaves out of a Function App package whatever the ignore file says. */
const ALWAYS_EXCLUDED = { dirs: ['.azure'], files: ['.funcignore', 'local.settings.json'] };

/** The files of the package, as POSIX paths relative to `root`, sorted. */
export function packageFiles(root: string = PROJECT_ROOT): string[] {
  const rules = ignore().add(readFileSync(path.join(root, '.funcignore'), 'utf8').replace(/^\uFEFF/, ''));
  const files: string[] = [];
  const walk = (relativeDir: string) => {
    for (const entry of readdirSync(path.join(root, relativeDir), { withFileTypes: true })) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      // azd follows symbolic links; stat tells what they point at.
      const isDir = entry.isSymbolicLink() ? statSync(path.join(root, relative)).isDirectory() : entry.isDirectory();
      if (isDir) {
        if (ALWAYS_EXCLUDED.dirs.includes(entry.name) || rules.ignores(`${relative}/`)) continue;
        walk(relative);
      } else if (!ALWAYS_EXCLUDED.files.includes(entry.name) && !rules.ignores(relative)) {
        files.push(relative);
      }
    }
  };
  walk('');
  return files.sort();
}

/** Zips the package's files into `out`; returns the list of files. */
export function writePackage(out: string, root: string = PROJECT_ROOT): string[] {
  const files = packageFiles(root);
  const entries: Zippable = {};
  for (const file of files) {
    const full = path.join(root, file);
    entries[file] = [readFileSync(full), { mtime: statSync(full).mtime }];
  }
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, zipSync(entries, { level: 6 }));
  return files;
}

/** The compile check azd's build step amounts to here (the server compiles again from the sources). */
export function compileCheck(root: string = PROJECT_ROOT): void {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noEmit'], {
    cwd: root,
    stdio: 'inherit',
  });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 && args[outIndex + 1] ? path.resolve(args[outIndex + 1]!) : DEFAULT_PACKAGE_PATH;
  try {
    if (!args.includes('--no-check')) compileCheck();
    const files = writePackage(out);
    const bytes = statSync(out).size;
    console.log(`${path.relative(process.cwd(), out)}: ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB`);
  } catch (error) {
    console.error(`npm run package: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
