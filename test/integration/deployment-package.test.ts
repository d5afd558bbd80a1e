import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import ignore from 'ignore';
import { captureRegistrations, functionFiles, type Registrations } from '../../sandbox/host/registrations';

/**
 * The deployment package as `azd deploy` builds it (`npm run package`, scripts/package.ts): what is in
 * it, and that Azure's remote build of it works: extracted, given the dependencies (the repository's
 * node_modules stands for the server's install from package-lock.json) and built with `npm run build`,
 * every function file that package.json's `main` selects registers the same functions as the
 * repository's, and the files the code reads at run time are found inside the package.
 */
const root = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

describe('the deployment package (remote build)', () => {
  let work: string;
  let app: string;
  let files: string[];

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'release-gate-package-'));
    const zip = path.join(work, 'package.zip');
    // --no-check: the build below compiles the same sources, from the package.
    const cli = [path.join(root, 'scripts', 'package.ts'), '--out', zip, '--no-check'];
    await run(process.execPath, ['--import', 'tsx', ...cli], { cwd: root });
    app = path.join(work, 'app');
    const entries = unzipSync(readFileSync(zip));
    files = Object.keys(entries).sort();
    for (const [name, content] of Object.entries(entries)) {
      mkdirSync(path.dirname(path.join(app, name)), { recursive: true });
      writeFileSync(path.join(app, name), content);
    }
    // What Azure does with it: install the dependencies, then `npm run build`.
    symlinkSync(path.join(root, 'node_modules'), path.join(app, 'node_modules'), 'dir');
    await run('npm', ['run', 'build'], { cwd: app });
  }, 170_000);
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  const repoFiles = (dir: string): string[] =>
    readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();

  it('is configured for a remote build as azd checks it: remoteBuild: true, and .funcignore leaves out node_modules', () => {
    const azureYaml = readFileSync(path.join(root, 'azure.yaml'), 'utf8');
    expect(azureYaml).toMatch(/^\s+language: ts$/m);
    expect(azureYaml).toMatch(/^\s+host: function$/m);
    expect(azureYaml).toMatch(/^\s+remoteBuild: true$/m);
    const rules = ignore().add(readFileSync(path.join(root, '.funcignore'), 'utf8'));
    expect(rules.ignores('node_modules/')).toBe(true);
    expect(['tsconfig.json', 'tsconfig.build.json', 'functions/', 'src/'].filter((p) => rules.ignores(p))).toEqual([]);
  });

  it('holds the sources, settings and assets a remote build needs, and nothing else', () => {
    const topLevel = [...new Set(files.map((f) => f.split('/')[0]))].sort();
    expect(topLevel).toEqual([
      'functions',
      'host.json',
      'package-lock.json',
      'package.json',
      'policies',
      'src',
      'tsconfig.build.json',
      'tsconfig.json',
      'web',
    ]);
    for (const dir of ['functions', 'src', 'web', 'policies']) {
      expect(files.filter((f) => f.startsWith(`${dir}/`))).toEqual(repoFiles(dir));
    }
    // No tests, sandbox, local settings, secrets, dependencies or local build output.
    expect(files.filter((f) => /(^|\/)(node_modules|dist|test|sandbox|bench|\.sandbox)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /local\.settings|\.env|\.(pem|key|pfx)$/.test(f))).toEqual([]);
    expect(files.filter((f) => /PRIVATE KEY-----/.test(readFileSync(path.join(app, f), 'utf8')))).toEqual([]);
  });

  it("builds as package.json's main expects, and each function file registers what the repository's does", () => {
    const main = (JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as { main: string }).main;
    expect(main).toBe('dist/functions/*.js');
    const built = functionFiles(path.join(app, 'dist', 'functions')).filter((f) => f.endsWith('.js'));
    const name = (file: string) => path.basename(file).replace(/\.(ts|js)$/, '');
    expect(built.map(name)).toEqual(functionFiles().map(name));

    const summary = (r: Registrations) => ({
      http: r.http.map((h) => `${h.name} ${h.methods.join(',')} ${h.route} ${h.authLevel}`),
      queues: r.queues.map((q) => `${q.name} ${q.queueName} ${q.connection}`),
      timers: r.timers.map((t) => `${t.name} ${t.schedule} ${t.runOnStartup}`),
      appStart: r.appStart.length,
    });
    for (const file of built) {
      const fromPackage = summary(captureRegistrations([file]));
      expect({ file: name(file), ...fromPackage }).toEqual({
        file: name(file),
        ...summary(captureRegistrations([path.join(root, 'functions', `${name(file)}.ts`)])),
      });
      const count = fromPackage.http.length + fromPackage.queues.length + fromPackage.timers.length;
      expect({ file: name(file), registers: count + fromPackage.appStart > 0 }).toEqual({
        file: name(file),
        registers: true,
      });
    }
  });

  it('finds the release page and policy files inside the package at run time', () => {
    /* eslint-disable @typescript-eslint/no-require-imports -- the package's compiled modules, loaded as the host would */
    const { APP_ROOT } = require(path.join(app, 'dist', 'src', 'app-root.js')) as typeof import('../../src/app-root');
    const page = require(
      path.join(app, 'dist', 'src', 'release', 'release-page.js'),
    ) as typeof import('../../src/release/release-page');
    /* eslint-enable @typescript-eslint/no-require-imports */
    expect(APP_ROOT).toBe(app);
    const config = {
      authority: 'https://login.microsoftonline.com/tenant',
      clientId: 'client-id',
      scope: 'scope',
      pinMinLength: 6,
      pinMaxLength: 12,
    };
    expect(page.releasePage(config)).toMatchObject({ status: 200, body: expect.stringContaining('client-id') });
    for (const asset of ['release.js', 'release.css']) {
      expect(page.releaseAsset(asset, null, config)).toMatchObject({
        status: 200,
        body: readFileSync(path.join(root, 'web', 'release', asset), 'utf8'),
      });
    }
    // RELEASE_GATE_POLICY_FILE paths resolve from the app root: the shipped examples and schema are there.
    expect(readdirSync(path.join(APP_ROOT, 'policies'))).toEqual(readdirSync(path.join(root, 'policies')));
  });

  it('needs at run time only packages listed in dependencies', () => {
    const { dependencies } = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const compiled = readdirSync(path.join(app, 'dist'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.js'))
      .map((e) => path.join(e.parentPath, e.name));
    const used = new Set<string>();
    for (const file of compiled) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/require\(["']([^"'.][^"']*)["']\)/g)) {
        const parts = specifier!.split('/');
        used.add(specifier!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    }
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const undeclared = [...used].filter((name) => !builtins.has(name) && !(name in dependencies));
    expect(undeclared).toEqual([]);
    expect(used.has('@azure/functions')).toBe(true); // the scan sees the imports
  });
});
