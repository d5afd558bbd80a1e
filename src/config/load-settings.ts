import type { z } from 'zod';
import { SECRET_SETTINGS, settingsSchema, type Settings } from './settings';
import { issueText } from './zod-issues';
import { nearest } from './nearest';

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
  const given = withoutEmpty(env);
  const result = settingsSchema.safeParse(given);
  if (result.success) return result.data;
  // Settings read "NAME is required", "NAME must be a GUID; "contoso" is not one".
  const problems = result.error.issues.map((issue) =>
    issueText({ path: issue.path, message: settingMessage(issue, given) }, { whole: '(settings)', separator: ' ' }),
  );
  throw new SettingsError(problems);
}

/** A value as it may be shown: shortened, and without a URL's query (it may hold a key or a SAS signature). */
export function shownValue(value: string): string {
  const text = value
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/^(https?:\/\/[^?#\s]*)\?\S*/i, '$1?…');
  return `"${text.length > 60 ? `${text.slice(0, 57)}…` : text}"`;
}

function namesValue(message: string, value: string): boolean {
  const at = message.indexOf(value);
  const wordChar = (char: string | undefined) => char !== undefined && /[\w.-]/.test(char);
  return at >= 0 && !wordChar(message[at - 1]) && !wordChar(message[at + value.length]);
}

/**
 * What is wrong with a setting and, where it has a value, that value (never a secret's): zod's own
 * wording replaced where it is not the admin's ("Invalid option" becomes the allowed values).
 */
function settingMessage(issue: z.core.$ZodIssue, given: Record<string, string>): string {
  const name = typeof issue.path[0] === 'string' ? issue.path[0] : '';
  const value = given[name];
  if (value === undefined)
    return issue.code === 'invalid_type' || issue.code === 'invalid_value' ? 'is required' : issue.message;
  const secret = SECRET_SETTINGS.has(name);
  if (issue.code === 'too_big' && issue.origin === 'string')
    return `must be at most ${String(issue.maximum)} characters; it has ${value.trim().length}`;
  let message = issue.message;
  let hint = '';
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map(String);
    message = allowed.length === 1 ? `must be ${allowed[0]}` : `must be one of ${allowed.join(', ')}`;
    const near = secret ? undefined : nearest(value.trim(), allowed);
    if (near) hint = ` (did you mean ${near}?)`;
  }
  if (secret) return `${message} (the value is not shown: it is a secret)`;
  // A message that names the value already ("is china (21Vianet)…", a bad entry of a JSON setting) stands.
  if (issue.code === 'custom' && (issue.params?.echoed || namesValue(message, value.trim()))) return message;
  const echo = /^must be (a|an|one of) /.test(message)
    ? `${shownValue(value)} is not one`
    : `it is ${shownValue(value)}`;
  return `${message}; ${echo}${hint}`;
}
