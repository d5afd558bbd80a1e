/**
 * Builds the deployment package the way `azd deploy` does for this app (azure.yaml: `language: ts`,
 * `host: function`, `remoteBuild: true`): the build script runs first (here as a compile check: dist/ is
 * not shipped, Azure compiles the sources itself), then every project file that `.funcignore`
 * (gitignore syntax) leaves is zipped, less what azd always leaves out (`.azure/`, the `.funcignore`
 * file, `local.settings.json`). Azure then installs the dependencies from package-lock.json and runs
 * `npm run build` on the server. See README "Deploying to Azure".
 *
 *   npm run package [-- [--out <zip>] [--no-check]]     (--help for more)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import {
  EXIT,
  ExitError,
  UsageError,
  action,
  defineCommand,
  describeUse,
  progress,
  runMain,
  type Terminal,
} from '../admin/cli/cli';
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

/** Exit code: the sources do not compile (tsc's messages are shown). */
export const EXIT_COMPILE_ERRORS = 3;

/**
 * The compile check azd's build step amounts to here (the server compiles again from the sources). Its
 * messages are returned in the error, for the command to show.
 */
export async function compileCheck(root: string = PROJECT_ROOT): Promise<void> {
  try {
    await promisify(execFile)(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noEmit', '--pretty', 'false'],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new ExitError(
      `The sources do not compile (tsc -p tsconfig.build.json), so Azure's build would fail:\n${`${stdout ?? ''}${stderr ?? ''}`.trim()}`,
      EXIT_COMPILE_ERRORS,
    );
  }
}

export function command(terminal: Terminal): Command {
  const pack = defineCommand(
    'package',
    'Builds the deployment package as azd deploy does (a zip for a remote build).',
    terminal,
  )
    .option(
      '--out <zip>',
      'where to write the zip',
      path.relative(process.cwd(), DEFAULT_PACKAGE_PATH) || DEFAULT_PACKAGE_PATH,
    )
    .option('--no-check', 'skip the compile check (Azure compiles the sources again itself)');
  describeUse(pack, {
    notes: [
      'The files .funcignore leaves, less .azure/, .funcignore and local.settings.json; Azure installs the',
      'dependencies from package-lock.json and runs npm run build on the server.',
    ],
    examples: ['npm run package', 'npm run package -- --out /tmp/release-gate.zip --no-check'],
    exitCodes: { [EXIT_COMPILE_ERRORS]: "the sources do not compile (Azure's build would fail)" },
  });
  return pack.action(
    action(async (options: { out: string; check: boolean }) => {
      const out = path.resolve(options.out);
      if (!out.endsWith('.zip')) throw new UsageError(`--out "${options.out}" should name a .zip file.`);
      if (options.check) {
        const step = progress(terminal, 'Compile check (tsc -p tsconfig.build.json)');
        try {
          await compileCheck();
        } catch (error) {
          step.fail('failed');
          throw error;
        }
        step.done('ok');
      }
      const files = writePackage(out);
      const bytes = statSync(out).size;
      terminal.out(`${path.relative(process.cwd(), out)}: ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB`);
      return EXIT.ok;
    }),
  );
}

if (require.main === module) runMain(command);
