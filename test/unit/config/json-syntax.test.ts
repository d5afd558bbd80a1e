import fc from 'fast-check';
import { firstFault, JsonSyntaxError, jsonSyntaxLines, parseJsonText } from '../../../src/config/json-syntax';

/** The lines an admin sees for `text` in a file called policy.json. */
function shown(text: string): string[] {
  try {
    parseJsonText(text);
  } catch (error) {
    expect(error).toBeInstanceOf(JsonSyntaxError);
    return jsonSyntaxLines('policy.json', (error as JsonSyntaxError).problem);
  }
  throw new Error('expected a JsonSyntaxError');
}

describe('JSON syntax errors: line, column, the line and a caret, never "position 68"', () => {
  it('a missing comma between two properties', () => {
    const text = '{\n  "name": "x",\n  "rules": [\n    { "name": "r" "when": {} }\n  ]\n}';
    expect(shown(text)).toEqual([
      "policy.json:4:19: not valid JSON: Expected ',' or '}' after property value",
      '      { "name": "r" "when": {} }',
      '                    ^',
    ]);
  });

  it('a misspelt literal, which V8 reports without a position', () => {
    expect(shown('{\n\t"shadowMode": tru\n}')).toEqual([
      'policy.json:2:19: not valid JSON: unexpected line break (names and strings need double quotes; true, ' +
        'false and null are written in lowercase)',
      '   "shadowMode": tru',
      '                    ^',
    ]);
  });

  it('an unquoted word names the character', () => {
    expect(shown('{"a": yes}')[0]).toMatch(
      /^policy\.json:1:7: not valid JSON: unexpected 'y' \(names and strings need/,
    );
  });

  it('single quotes, a trailing comma, text that stops early', () => {
    expect(shown("{'name': 'x'}")[0]).toBe("policy.json:1:2: not valid JSON: Expected property name or '}'");
    expect(shown('{"a": 1,\n}')[0]).toBe('policy.json:2:1: not valid JSON: Expected double-quoted property name');
    expect(shown('{"rules": [')[0]).toBe(
      'policy.json:1:12: not valid JSON: the text ends before the JSON does (a missing } or ] or ")',
    );
  });

  it('a long line is cut around the fault, the caret still under it', () => {
    const text = `{"description": "${'a'.repeat(200)}", x}`;
    const [, line, caret] = shown(text);
    expect(line!.length).toBeLessThan(90);
    expect(line![caret!.indexOf('^')]).toBe('x');
  });

  it('ignores a byte-order mark (Notepad adds one)', () => {
    expect(parseJsonText('\uFEFF{"a": 1}')).toEqual({ a: 1 });
  });

  it('firstFault finds nothing in valid JSON, and a fault wherever JSON.parse fails', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(firstFault(text)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom('}', ']', ',', ':', 'x', '"', "'"), (text, at, char) => {
        const broken = text.slice(0, at % (text.length + 1)) + char + text.slice(at % (text.length + 1));
        let valid = true;
        try {
          JSON.parse(broken);
        } catch {
          valid = false;
        }
        expect(firstFault(broken) === undefined).toBe(valid);
      }),
    );
  });
});
