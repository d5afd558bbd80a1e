/**
 * A directory search budget per user (`GET /api/release/people`): at most `perMinute` searches in any
 * minute, counted in this instance's memory. It bounds how fast one signed-in user can page through
 * the directory; it is per instance (n instances allow n times as many), which is enough for a
 * look-up that returns no more than any member may read in Entra ID anyway.
 */
export function searchLimit(perMinute = 30, now: () => number = Date.now): (userId: string) => boolean {
  const recent = new Map<string, number[]>();
  return (userId) => {
    const t = now();
    const kept = (recent.get(userId) ?? []).filter((at) => at > t - 60_000);
    if (kept.length >= perMinute) {
      recent.set(userId, kept);
      return false;
    }
    kept.push(t);
    recent.set(userId, kept);
    // Forget users with no search in the last minute, so the map stays small.
    if (recent.size > 10_000)
      for (const [id, times] of recent) if (times.every((at) => at <= t - 60_000)) recent.delete(id);
    return true;
  };
}
