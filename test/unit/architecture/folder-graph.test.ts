import { readFileSync } from 'node:fs';
import path from 'node:path';
import { architectureDiagram, withArchitectureDiagram } from '../../../scripts/architecture-diagram';
import { folderCycles, folderGraph } from '../../../scripts/import-graph';

/**
 * The `src/` folders import one another without a cycle, so each can be read (and tested) with only
 * what it builds on. A new cycle fails here, naming its folders; eslint.config.mjs says, per folder,
 * which imports are never allowed.
 */
describe('the src/ folder graph', () => {
  const graph = folderGraph();

  it('has no cycle', () => {
    expect(folderCycles(graph).map((cycle) => cycle.join(' ↔ '))).toEqual([]);
  });

  it('would name a cycle (the check itself works)', () => {
    const withCycle = new Map([
      ['config', new Set<string>()],
      ['policy', new Set(['config', 'processor'])],
      ['processor', new Set(['policy', 'graph'])],
      ['graph', new Set(['config'])],
    ]);
    expect(folderCycles(withCycle)).toEqual([['policy', 'processor']]);
  });

  it('is the README diagram (npm run docs:architecture writes it)', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
    expect(withArchitectureDiagram(readme, architectureDiagram(graph))).toBe(readme);
  });
});
