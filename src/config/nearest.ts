/**
 * The choice nearest to a misspelt one, for messages that say "did you mean …?": settings here, and
 * every command's choices through admin/cli/cli.ts (src may not import admin, so it lives here).
 */

/** Levenshtein distance: insertions, deletions and substitutions each count 1. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The choice within edit distance 2 of `text` (case-insensitive), if there is one. */
export function nearest(text: string, choices: readonly string[]): string | undefined {
  const ranked = choices
    .map((choice) => ({ choice, d: editDistance(text.toLowerCase(), choice.toLowerCase()) }))
    .sort((a, b) => a.d - b.d);
  return ranked[0] && ranked[0].d <= 2 ? ranked[0].choice : undefined;
}
