/**
 * The project's import graph, read from the sources with TypeScript's `preProcessFile` (static,
 * dynamic and type-only imports alike: a type import ties the design as much as a call). Used by the
 * architecture tests (no folder cycle; the deployed code never reaches admin/ or a dev dependency)
 * and by scripts/architecture-diagram.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Every import specifier of a source file, in order. */
export function importSpecifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/**
 * The imports that load a module when the file loads: static, not type-only (no `import()`, which
 * loads on first use, and no `import type`, which compiles away).
 */
export function runtimeImportSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause !== undefined &&
          !clause.name &&
          clause.namedBindings !== undefined &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly && ts.isStringLiteral(statement.moduleSpecifier)) specifiers.push(statement.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(statement) &&
      !statement.isTypeOnly &&
      statement.moduleSpecifier &&
      ts.isStringLiteral(statement.moduleSpecifier)
    ) {
      specifiers.push(statement.moduleSpecifier.text);
    }
  }
  return specifiers;
}

/** The file a relative specifier names (`.ts`, or a folder's `index.ts`), or undefined. */
export function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  return [`${base}.ts`, base, path.join(base, 'index.ts')].find((c) => existsSync(c) && statSync(c).isFile());
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for Node's own modules. */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export const relative = (file: string, root = PROJECT_ROOT): string =>
  path.relative(root, file).split(path.sep).join('/');

/** The files reachable from `entries` by relative imports (all of them, or those `imports` gives), and the packages they import (with an importer each). */
export function reachableFrom(
  entries: string[],
  imports: (file: string) => string[] = importSpecifiers,
): { files: string[]; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of imports(file)) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (target) pending.push(target);
      } else {
        const name = packageName(specifier);
        if (name && !packages.has(name)) packages.set(name, file);
      }
    }
  }
  return { files: [...files].sort(), packages };
}

/** Which `src/` folders import which (a folder's own files and files directly in src/ left out). */
export function folderGraph(root = PROJECT_ROOT): Map<string, Set<string>> {
  const src = path.join(root, 'src');
  const folderOf = (file: string) => {
    const parts = path.relative(src, file).split(path.sep);
    return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined;
  };
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(src)) {
    const from = folderOf(file);
    if (!from) continue;
    if (!graph.has(from)) graph.set(from, new Set());
    for (const specifier of importSpecifiers(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveRelative(file, specifier);
      const to = target && folderOf(target);
      if (to && to !== from) graph.get(from)!.add(to);
    }
  }
  return new Map([...graph].sort(([a], [b]) => a.localeCompare(b)));
}

/** Every cycle's folders (strongly connected components of more than one folder), by Tarjan's algorithm. */
export function folderCycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
