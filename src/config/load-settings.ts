import { settingsSchema, type Settings } from './settings';
import { issueText } from './zod-issues';

/** Thrown when settings are missing or invalid; its message lists every problem at once. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Release Gate cannot start: ${problems.length} setting problem(s):\n- ${problems.join('\n- ')}`);
    this.name = 'SettingsError';
  }
}

/** Empty strings count as unset, as they do in the Azure portal's app settings. */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') out[key] = value;
  }
  return out;
}

/** Parses settings from an environment, failing with one error that names every bad setting. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  const result = settingsSchema.safeParse(withoutEmpty(env));
  if (result.success) return result.data;
  // Settings read "NAME is required", "NAME must be a GUID".
  const problems = result.error.issues.map((issue) =>
    issueText(
      {
        path: issue.path,
        message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
      },
      { whole: '(settings)', separator: ' ' },
    ),
  );
  throw new SettingsError(problems);
}
