/**
 * Writes the README's diagram of the `src/` folders and who imports whom (mermaid), from the code,
 * between the markers `<!-- architecture:start -->` and `<!-- architecture:end -->`. A test fails
 * when the README is stale.
 *
 *   npm run docs:architecture
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { folderGraph } from './import-graph';

export const START = '<!-- architecture:start -->';
export const END = '<!-- architecture:end -->';

/** One line per import between folders (`a --> b`: a imports b), sorted. */
export function architectureDiagram(graph = folderGraph()): string {
  const lines = ['```mermaid', 'flowchart LR'];
  for (const [from, targets] of graph) {
    if (targets.size === 0) lines.push(`  ${from}`);
    for (const to of [...targets].sort()) lines.push(`  ${from} --> ${to}`);
  }
  return [...lines, '```'].join('\n');
}

export function withArchitectureDiagram(readme: string, diagram = architectureDiagram()): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs ${START} and ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${diagram}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const file = path.resolve(__dirname, '..', 'README.md');
  writeFileSync(file, withArchitectureDiagram(readFileSync(file, 'utf8')));
  console.log('README.md architecture diagram updated');
}
