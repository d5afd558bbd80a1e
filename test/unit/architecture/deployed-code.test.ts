import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  PROJECT_ROOT,
  reachableFrom,
  relative,
  runtimeImportSpecifiers,
  sourceFiles,
} from '../../../scripts/import-graph';

/**
 * What the Function App runs is what `functions/*.ts` reaches. None of it may import admin/ (or
 * another development-only folder): those are not in the deployment package. Nor a dev dependency
 * (type-only imports included): Azure installs `dependencies` for the app.
 */
const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const functionFiles = sourceFiles(path.join(PROJECT_ROOT, 'functions')).filter((f) =>
  path.dirname(f).endsWith('functions'),
);

describe('the deployed code (what functions/*.ts reaches)', () => {
  const { files, packages } = reachableFrom(functionFiles);

  it('stays in functions/ and src/', () => {
    const outside = files.map((f) => relative(f)).filter((f) => !/^(functions|src)\//.test(f));
    expect(outside).toEqual([]);
    expect(files.length).toBeGreaterThan(functionFiles.length);
  });

  it('imports only packages in dependencies, never a dev dependency', () => {
    const notDeployed = [...packages]
      .filter(([name]) => !(name in manifest.dependencies))
      .map(([name, importer]) => `${name} (imported by ${relative(importer)})`);
    expect(notDeployed).toEqual([]);
  });

  it('leaves the admin tools and their packages out', () => {
    expect(files.some((f) => relative(f).startsWith('src/app/'))).toBe(true);
    for (const devOnly of ['qrcode', '@peculiar/x509', 'reflect-metadata']) {
      expect(packages.has(devOnly)).toBe(false);
      expect(manifest.devDependencies).toHaveProperty([devOnly]);
    }
  });

  it("loads no Graph, identity, Key Vault or policy code when the worker starts (src/app's light part)", () => {
    // The host loads every function file at start-up; what they import statically is the webhook's cold path.
    const atStart = reachableFrom(functionFiles, runtimeImportSpecifiers);
    const heavy = atStart.files
      .map((f) => relative(f))
      .filter((f) =>
        /^src\/(policy|processor|release|holds|upkeep)\/|^src\/graph\/(?!ids\.ts)|^src\/identity\/(?!managed-identity\.ts)|^src\/app\/full-app/.test(
          f,
        ),
      );
    expect(heavy).toEqual([]);
    const sdks = [
      '@azure/identity',
      '@microsoft/microsoft-graph-client',
      '@azure/keyvault-secrets',
      '@opentelemetry/sdk-metrics',
    ];
    expect(sdks.filter((name) => atStart.packages.has(name))).toEqual([]);
    expect(atStart.files.map((f) => relative(f))).toContain('src/app/app.ts');
  });
});
