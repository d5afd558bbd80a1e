import { parsePolicy } from '../../../src/policy/declarative/policy-schema';
import { lintPolicy } from '../../../admin/policy/policy-lint';
import { bytes } from '../../../src/policy/declarative/sizes';

const P1 = '9f8e7d6c-0000-4000-8000-000000000001';

/** The errors for a policy with one rule (or a whole policy when `rule` is undefined). */
function errors(rule: unknown, extra: Record<string, unknown> = {}): string[] {
  const result = parsePolicy({
    name: 'x',
    rules: rule === undefined ? [] : [rule],
    default: { release: {} },
    ...extra,
  });
  return result.ok ? [] : result.errors;
}
const rule = (when: unknown, then: unknown = { release: {} }) => ({ name: 'r', when, then });

describe('policy errors an admin can act on: the rule, the field, what is expected', () => {
  it.each<[string, unknown, Record<string, unknown>, RegExp]>([
    [
      'a misspelt condition',
      rule({ colour: ['color'] }),
      {},
      /^rule 1 "r": when: unknown key "colour" \(did you mean "colorMode"\?\); expected one of: users, groups/,
    ],
    [
      'a misspelt action',
      rule({}, { relase: {} }),
      {},
      /^rule 1 "r": then: needs exactly one of release, .*got "relase" \(did you mean "release"\?\)/,
    ],
    [
      'two actions',
      rule({}, { release: {}, deny: { reason: 'x' } }),
      {},
      /^rule 1 "r": then: needs exactly one of release/,
    ],
    [
      'a deny without reason',
      rule({}, { deny: {} }),
      {},
      /^rule 1 "r": then\.deny\.reason: required \(Shown to the user/,
    ],
    [
      'a deny whose reason is blank',
      rule({}, { deny: { reason: '   ' } }),
      {},
      /^rule 1 "r": then\.deny\.reason: must say something \(it is shown to the user\)/,
    ],
    ['a blank rule name', { name: ' ', when: {}, then: { release: {} } }, {}, /^rule 1 .*name: must not be blank/],
    [
      'a wrong type',
      rule({ copies: { min: 'two' } }),
      {},
      /^rule 1 "r": when\.copies\.min: expected a number, got "two"/,
    ],
    [
      'an object where a list belongs',
      rule({ colorMode: 'color' }),
      {},
      /when\.colorMode: expected a list \[ … \], got "color"/,
    ],
    [
      'an unknown weekday',
      rule({ time: { days: ['monday'] } }),
      {},
      /when\.time\.days\.0: expected one of "mon", "tue"/,
    ],
    ['a 12-hour time', rule({ time: { from: '7am' } }), {}, /when\.time\.from: expected a 24-hour time like 07:30/],
    [
      'an empty window',
      rule({ time: { from: '08:00', to: '08:00' } }),
      {},
      /when\.time\.to: from and to are the same time/,
    ],
    [
      'min above max',
      rule({ documentSize: { min: '2MB', max: '1MB' } }),
      {},
      /when\.documentSize\.min: min is larger than max/,
    ],
    ['copies min above max', rule({ copies: { min: 5, max: 2 } }), {}, /when\.copies\.min: min is larger than max/],
    [
      'a size without a known unit',
      rule({ documentSize: { min: '20 megs' } }),
      {},
      /expected a size like 512KB, 20MB or 1GB/,
    ],
    [
      'a group that is not an object id',
      rule({ groups: { include: ['Students'] } }),
      {},
      /when\.groups\.include\.0: expected an object id \(a GUID\)/,
    ],
    ['users with neither include nor exclude', rule({ users: {} }), {}, /when\.users: needs include or exclude/],
    ['an empty list', rule({ mediaSize: [] }), {}, /when\.mediaSize: must not be empty/],
    [
      'a bad regular expression',
      rule({ documentName: '(unclosed' }),
      {},
      /when\.documentName: expected a valid regular expression/,
    ],
    [
      'a redirect with both printerId and map',
      rule({}, { redirect: { printerId: P1, map: { [P1]: P1 } } }),
      {},
      /then\.redirect: needs exactly one of printerId or map/,
    ],
    [
      'a hold over a week',
      rule({}, { hold: { expiresInMinutes: 20000, onExpiry: 'deny' } }),
      {},
      /then\.hold\.expiresInMinutes: must be at most 10080/,
    ],
    [
      'a hold without onExpiry',
      rule({}, { hold: { expiresInMinutes: 60 } }),
      {},
      /then\.hold\.onExpiry: required \(What happens when nobody released it in time\.\)/,
    ],
    ['an unknown time zone', undefined, { timeZone: 'Mars/Olympus' }, /^timeZone: expected an IANA time zone/],
    [
      'a missing default',
      undefined,
      { default: undefined },
      /^default: required: exactly one of release, releaseWithChanges, redirect, deny, hold$/,
    ],
  ])('%s', (_name, r, extra, expected) => {
    expect(errors(r, extra)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('two rules with one name: the audit could not tell them apart', () => {
    const result = parsePolicy({
      name: 'x',
      rules: [rule({}), { ...rule({ copies: { min: 2 } }), name: 'R ' }],
      default: { release: {} },
    });
    expect(result.ok ? [] : result.errors).toEqual([
      'rule 2 "R ": name: rule 1 has the same name; rule names must be unique (the audit reports by name)',
    ]);
  });

  it('a duplicate rule name is reported with every other error, not only when nothing else is wrong', () => {
    const result = parsePolicy({
      name: 'x',
      timeZone: 'Mars/Olympus',
      rules: [rule({ copies: { min: 0 } }), rule({}, { deny: {} }), 'not a rule', { name: 42 }],
      default: { release: {} },
    });
    expect(result.ok ? [] : result.errors).toEqual([
      'timeZone: expected an IANA time zone such as Europe/London or America/New_York, got "Mars/Olympus"',
      'rule 1 "r": when.copies.min: must be at least 1, got 0',
      expect.stringMatching(/^rule 2 "r": then\.deny\.reason: required/),
      expect.stringMatching(/^rule 3: expected an object/),
      expect.stringMatching(/^rule 4: name: expected a string, got number/),
      expect.stringMatching(/^rule 4: when: required/),
      expect.stringMatching(/^rule 4: then: required/),
      'rule 2 "r": name: rule 1 has the same name; rule names must be unique (the audit reports by name)',
    ]);
  });

  it.each<[string, unknown, string]>([
    [
      'a 12-hour time',
      rule({ time: { from: '7am' } }),
      'when.time.from: expected a 24-hour time like 07:30, got "7am"',
    ],
    [
      'a size',
      rule({ documentSize: { max: '20 megs' } }),
      'when.documentSize.max: expected a size like 512KB, 20MB or 1GB, got "20 megs"',
    ],
    [
      'a number out of range',
      rule({}, { hold: { expiresInMinutes: 20000, onExpiry: 'deny' } }),
      'then.hold.expiresInMinutes: must be at most 10080, got 20000',
    ],
    [
      'a group name for an id',
      rule({ groups: { include: ['Students'] } }),
      'when.groups.include.0: expected an object id (a GUID), got "Students"',
    ],
    [
      'a misspelt choice, with the nearest one',
      rule({ colorMode: ['colour'] }),
      'when.colorMode.0: expected one of "color", "grayscale", "blackAndWhite", "auto", got "colour" (did you mean "color"?)',
    ],
    [
      'a long value, shortened',
      rule({ time: { from: 'x'.repeat(200) } }),
      `when.time.from: expected a 24-hour time like 07:30, got "${'x'.repeat(55)}…"`,
    ],
  ])('echoes the bad value: %s', (_name, r, expected) => {
    expect(errors(r)).toEqual([`rule 1 "r": ${expected}`]);
  });

  it('a valid policy has no errors, and gets the documented defaults', () => {
    const result = parsePolicy({
      name: 'x',
      rules: [rule({ time: { from: '22:00', to: '06:00' } })],
      default: { release: {} },
    });
    expect(result).toMatchObject({ ok: true, policy: { timeZone: 'UTC', shadowMode: false } });
  });
});

describe('sizes', () => {
  it.each<[number | string, number]>([
    [0, 0],
    [1234, 1234],
    ['512', 512],
    ['1KB', 1024],
    ['1 kb', 1024],
    ['20MB', 20 * 1024 ** 2],
    ['1.5GB', 1.5 * 1024 ** 3],
    ['2MiB', 2 * 1024 ** 2],
  ])('%s is %d bytes', (size, expected) => expect(bytes(size)).toBe(expected));

  it('refuses what it cannot read', () => expect(() => bytes('20 megs')).toThrow(/not a size/));
});

describe('warnings for valid but suspicious policies', () => {
  it('rules after a catch-all never decide; a map to the same printer does nothing', () => {
    const result = parsePolicy({
      name: 'x',
      rules: [
        { name: 'loop', when: { copies: { min: 2 } }, then: { redirect: { map: { [P1]: P1 } } } },
        { name: 'everything', when: {}, then: { release: {} } },
        { name: 'never', when: {}, then: { deny: { reason: 'x' } } },
      ],
      default: { release: {} },
    });
    if (!result.ok) throw new Error(result.errors.join());
    expect(lintPolicy(result.policy)).toEqual([
      'rule 2 "everything" matches every job ("when": {}), so "never" and the default never decide',
      `rule 1 "loop": then.redirect.map sends ${P1} to itself (the job is released there)`,
    ]);
  });
});
