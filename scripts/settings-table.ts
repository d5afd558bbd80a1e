/**
 * Writes the README's settings table from the settings schema, between the markers
 * `<!-- settings:start -->` and `<!-- settings:end -->`. A test fails when the README is stale.
 *
 *   npm run docs:settings
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeSettings } from '../src/config/settings';

export const START = '<!-- settings:start -->';
export const END = '<!-- settings:end -->';

export function settingsTable(): string {
  const rows = describeSettings().map((s) => {
    const required = s.required ? 'yes' : s.defaultValue !== undefined ? `no (default \`${s.defaultValue}\`)` : 'no';
    return `| \`${s.name}\` | ${required} | ${s.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| Setting | Required | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs ${START} and ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${settingsTable()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const file = path.resolve(__dirname, '..', 'README.md');
  writeFileSync(file, withSettingsTable(readFileSync(file, 'utf8')));
  console.log('README.md settings table updated');
}
