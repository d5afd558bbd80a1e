import { COMMON_PINS, isPinShaped, MAX_PIN_LENGTH, pinProblem } from '../../../src/release/pin-policy';

describe('release PIN rules', () => {
  it('6 to 12 digits by default; the minimum is a setting', () => {
    expect(pinProblem('4829')).toMatch('6 to 12 digits');
    expect(pinProblem('48291')).toMatch('6 to 12 digits');
    expect(pinProblem('482916')).toBeUndefined();
    expect(pinProblem('4829163750')).toBeUndefined();
    expect(pinProblem('4829163750194')).toMatch('6 to 12 digits');
    expect(pinProblem('482916', 8)).toMatch('8 to 12 digits');
    expect(pinProblem('48a916')).toMatch('digits only');
  });

  it.each([
    ['000000', 'one digit repeated'],
    ['77777777', 'one digit repeated'],
    ['123456', 'run'],
    ['654321', 'run'],
    ['890123', 'run'],
    ['3210987', 'run'],
    ['121212', 'repeated'],
    ['123123', 'repeated'],
    ['11221122', 'repeated'],
    ['147258', 'first ones guessed'],
    ['112233', 'first ones guessed'],
    ['159753', 'first ones guessed'],
  ])('refuses %s (%s)', (pin, why) => {
    expect(pinProblem(pin)).toMatch(why);
  });

  it('every listed common PIN is refused, and the list holds only digit strings', () => {
    for (const pin of COMMON_PINS) {
      expect(pin).toMatch(/^\d{6,12}$/);
      expect(pinProblem(pin)).toBeDefined();
    }
  });

  it('a terminal takes only what could be a PIN: digits, at most 12', () => {
    for (const pin of ['1', '482916', '9'.repeat(MAX_PIN_LENGTH)]) expect(isPinShaped(pin)).toBe(true);
    for (const pin of ['', '9'.repeat(MAX_PIN_LENGTH + 1), '48a916', ' 482916', '4829.16', '-1'])
      expect(isPinShaped(pin)).toBe(false);
  });
});
