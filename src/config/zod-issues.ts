/**
 * zod's issues as text people read: `where: what`, where being the dotted path to the bad field
 * (`taskIds.0`), or a name for the value itself when the issue is about all of it. One formatter for
 * settings, policies, sample jobs, request bodies and notifications, so they all read alike.
 */

/** The part of a zod issue the text is made from (zod's own issues fit). */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export interface IssueTextOptions {
  /** What to call the value itself, when the issue has no path; `value` unless said. */
  whole?: string;
  /** Between where and what: `: ` unless said (settings read "NAME is required"). */
  separator?: string;
  /** Names a path in the reader's terms (e.g. a rule by its number and name); the dotted path otherwise. */
  where?: (path: readonly PropertyKey[]) => string;
}

/** One issue as text: `taskIds.0: Invalid string`, or `value: …` when it has no path. */
export function issueText(issue: IssueLike, options: IssueTextOptions = {}): string {
  const where = options.where ? options.where(issue.path) : issue.path.map(String).join('.');
  return `${where || (options.whole ?? 'value')}${options.separator ?? ': '}${issue.message}`;
}

/** Every issue of a failed parse as text, in zod's order. */
export function issuesText(error: { readonly issues: readonly IssueLike[] }, options: IssueTextOptions = {}): string[] {
  return error.issues.map((issue) => issueText(issue, options));
}
