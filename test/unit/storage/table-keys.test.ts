import { fromTableKey, isValidTableKey, tableKey, TableKeyError, userKey } from '../../../src/storage/table-keys';

describe('table keys', () => {
  const awkward = [
    'alice_fabrikam.com#EXT#@contoso.onmicrosoft.com',
    "o'brien@contoso.com",
    'a/b\\c?d#e@contoso.com',
    'tab\there@contoso.com',
    'zoë.ünïcode@contoso.com',
    '~tilde~@contoso.com',
    '%41@contoso.com',
  ];

  it.each(awkward)('encodes %j into a key Azure Tables accepts, and back', (value) => {
    const key = tableKey(value);
    expect(isValidTableKey(key)).toBe(true);
    expect(key).toMatch(/^[A-Za-z0-9@._~-]+$/);
    expect(fromTableKey(key)).toBe(value);
  });

  it('keeps a plain UPN readable and never maps two values to one key', () => {
    expect(tableKey('bob@contoso.com')).toBe('bob@contoso.com');
    expect(tableKey('a#b@x')).toBe('a~23b@x');
    expect(tableKey('a~23b@x')).not.toBe(tableKey('a#b@x'));
  });

  it('refuses empty and over-long values instead of making an invalid key', () => {
    expect(() => tableKey('')).toThrow(TableKeyError);
    expect(() => tableKey('#'.repeat(200))).toThrow(TableKeyError);
    expect(() => fromTableKey('a#b')).toThrow(TableKeyError);
  });

  it('keys a user by object id, falling back to the encoded UPN only without one', () => {
    const id = '4F1D3C2B-0000-4000-8000-00000000AB12';
    expect(userKey({ id, userPrincipalName: 'x#EXT#@y' })).toBe(id.toLowerCase());
    expect(userKey({ id: null, userPrincipalName: 'Guest_Mail.com#EXT#@T.onmicrosoft.com' })).toBe(
      'guest_mail.com~23ext~23@t.onmicrosoft.com',
    );
    expect(() => userKey({})).toThrow(TableKeyError);
  });

  it('says which raw strings Azure Tables would refuse', () => {
    for (const bad of ['a#b', 'a/b', 'a\\b', 'a?b', 'a\u0001b', 'a\u0085b', ''])
      expect(isValidTableKey(bad)).toBe(false);
    expect(isValidTableKey('bob@contoso.com')).toBe(true);
  });
});
