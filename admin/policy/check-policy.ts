/**
 * `npm run policy -- check`: whether a policy file is valid, every error naming the rule, the field and
 * what is expected, and lint warnings. Also what the sandbox runs before it starts with a policy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { lintPolicy } from './policy-lint';
import { JsonSyntaxError, jsonSyntaxLines, parseJsonText } from '../../src/config/json-syntax';
import { parsePolicy, type PolicyFile } from '../../src/policy/declarative/policy-schema';
import { checkPluginNames, loadPluginModule } from '../../src/policy/load-policy';
import type { PluginCondition } from '../../src/policy/plugins';

/** Bad input the user can fix (a file, a flag): its message is the whole answer. */
export class InputError extends Error {}

export function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such file (looked for ${path.resolve(file)})`
        : code === 'EISDIR'
          ? 'is a directory; name a JSON file'
          : code === 'EACCES'
            ? 'cannot be read: permission denied'
            : `cannot be read (${code ?? (error as Error).message})`;
    throw new InputError(`${file}: ${why}`);
  }
  try {
    return parseJsonText(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new InputError(jsonSyntaxLines(file, error.problem).join('\n'));
    throw error;
  }
}

export function pluginConditions(pluginModule: string | undefined): Record<string, PluginCondition> | undefined {
  if (!pluginModule) return undefined;
  try {
    return loadPluginModule(path.resolve(pluginModule)).conditions ?? {};
  } catch (error) {
    throw new InputError(`--plugin ${pluginModule}: ${(error as Error).message}`);
  }
}

export function checkPolicy(
  file: string,
  pluginModule?: string,
): { ok: boolean; lines: string[]; warnings: string[]; policy?: PolicyFile } {
  const parsed = parsePolicy(readJson(file));
  const errors = parsed.ok ? [] : parsed.errors;
  // Without --plugin the names cannot be checked; the app checks them when it loads the policy.
  if (parsed.ok && pluginModule) errors.push(...checkPluginNames(parsed.policy, pluginConditions(pluginModule)));
  if (!parsed.ok || errors.length > 0)
    return { ok: false, warnings: [], lines: [`${file} is not a valid policy:`, ...errors.map((e) => `  - ${e}`)] };
  const { policy } = parsed;
  const warnings = lintPolicy(policy);
  return {
    ok: true,
    policy,
    warnings,
    lines: [
      `${file}: policy "${policy.name}" is valid: ${policy.rules.length} rule(s), time zone ${policy.timeZone}${policy.shadowMode ? ', shadow mode' : ''}.`,
      ...warnings.map((w) => `  warning: ${w}`),
    ],
  };
}
