/**
 * JSON syntax errors as an editor shows them: line and column, the line's text and a caret under the
 * fault, instead of V8's "in JSON at position 68". One helper for policy files, job files and
 * settings that hold JSON, so they all read alike.
 */

/** Where JSON text went wrong, and what V8 said about it (without its character offset). */
export interface JsonSyntaxProblem {
  /** 1-based line and column. */
  line: number;
  column: number;
  /** What is wrong, e.g. "Expected ',' or '}' after property value". */
  what: string;
  /** The line's text and a caret under the column, each indented by two spaces. */
  excerpt: string[];
}

/** Parses JSON (a leading byte-order mark is ignored); a syntax error becomes a {@link JsonSyntaxError}. */
export function parseJsonText(text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new JsonSyntaxError(jsonSyntaxProblem(body, error as Error));
  }
}

export class JsonSyntaxError extends Error {
  constructor(readonly problem: JsonSyntaxProblem) {
    super(`line ${problem.line}, column ${problem.column}: ${problem.what}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Line, column and excerpt for a JSON.parse error on `text`. */
export function jsonSyntaxProblem(text: string, error: Error): JsonSyntaxProblem {
  const given = / in JSON at position (\d+)/.exec(error.message);
  const offset = Math.min(given ? Number(given[1]) : (firstFault(text) ?? text.length), text.length);
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  const line = before.split('\n').length;
  const column = offset - lineStart + 1;
  return { line, column, what: describeFault(text, offset, error.message), excerpt: excerpt(text, lineStart, column) };
}

function describeFault(text: string, offset: number, message: string): string {
  if (/^Unexpected end of JSON input/.test(message) || offset >= text.length)
    return 'the text ends before the JSON does (a missing } or ] or ")';
  // V8: "Unexpected token 'x', "…" is not valid JSON" quotes the text again; say what is there instead.
  if (/^Unexpected token /.test(message)) {
    const char = text[offset]!;
    const what = char === '\n' || char === '\r' ? 'line break' : `'${char}'`;
    return `unexpected ${what} (names and strings need double quotes; true, false and null are written in lowercase)`;
  }
  return message.replace(/ in JSON at position \d+.*$/s, '');
}

/** The line (at most ~80 characters around the column, tabs as spaces) and a caret under the column. */
function excerpt(text: string, lineStart: number, column: number): string[] {
  const end = text.indexOf('\n', lineStart);
  const full = text
    .slice(lineStart, end < 0 ? undefined : end)
    .replace(/\r$/, '')
    .replace(/\t/g, ' ');
  const from = Math.max(0, column - 1 - 40);
  const to = Math.min(full.length, from + 80);
  const shown = `${from > 0 ? '…' : ''}${full.slice(from, to)}${to < full.length ? '…' : ''}`;
  const caretAt = column - 1 - from + (from > 0 ? 1 : 0);
  return [`  ${shown}`, `  ${' '.repeat(Math.max(0, caretAt))}^`];
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The offset of the first character that cannot continue valid JSON, for the V8 messages that give
 * no position ("Unexpected token 'x', … is not valid JSON"); undefined when the text is valid.
 */
export function firstFault(text: string): number | undefined {
  let at = 0;
  const fail = (): never => {
    throw new Fault(at);
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const expect = (char: string) => (text[at] === char ? at++ : fail());
  const string = () => {
    expect('"');
    for (;;) {
      if (at >= text.length) fail();
      const char = text[at]!;
      if (char === '"') return void at++;
      if (char < ' ') fail();
      if (char === '\\') {
        at++;
        if (text[at] === 'u') {
          at++;
          for (let i = 0; i < 4; i++, at++) if (!/[0-9a-fA-F]/.test(text[at] ?? '')) fail();
          continue;
        }
        if (!'"\\/bfnrt'.includes(text[at] ?? 'x')) fail();
      }
      at++;
    }
  };
  const members = (close: string, member: () => void) => {
    at++;
    space();
    if (text[at] === close) return void at++;
    for (;;) {
      member();
      space();
      if (text[at] === ',') {
        at++;
        space();
        continue;
      }
      return void expect(close);
    }
  };
  const value = (): void => {
    space();
    const char = text[at];
    if (char === '{')
      return members('}', () => {
        string();
        space();
        expect(':');
        value();
      });
    if (char === '[') return members(']', value);
    if (char === '"') return string();
    for (const word of ['true', 'false', 'null'])
      if (char === word[0]) {
        for (const letter of word) expect(letter);
        return;
      }
    NUMBER.lastIndex = at;
    if (!NUMBER.test(text)) fail();
    at = NUMBER.lastIndex;
  };
  try {
    value();
    space();
    if (at < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof Fault) return error.offset;
    return undefined; // nested too deeply to scan: V8's message stands
  }
}

class Fault extends Error {
  constructor(readonly offset: number) {
    super(`not JSON from offset ${offset}`);
  }
}

/** A JSON syntax error as the lines people read: `file:line:column: what`, then the excerpt. */
export function jsonSyntaxLines(where: string, problem: JsonSyntaxProblem): string[] {
  return [`${where}:${problem.line}:${problem.column}: not valid JSON: ${problem.what}`, ...problem.excerpt];
}
