/**
 * What a release PIN may be. At least `minLength` digits (a setting: 6 to 12; 6 by default), at most
 * 12, and none that a guesser tries first:
 * - one digit repeated (000000, 777777);
 * - a run up or down the digits, wrapping past 9 (123456, 654321, 890123);
 * - a short block repeated (121212, 123123, 11221122);
 * - common PINs and keypad patterns (see COMMON_PINS).
 */
export const MAX_PIN_LENGTH = 12;
export const DEFAULT_MIN_PIN_LENGTH = 6;

/** Common choices from published PIN studies and keypad shapes (rows, columns, diagonals, crosses). */
// prettier-ignore
export const COMMON_PINS: ReadonlySet<string> = new Set([
  '112233', '110011', '111222', '101010', '102030', '121314', '123321', '123654', '131313',
  '147258', '147852', '159753', '159357', '258456', '258369', '321654', '357159', '369258',
  '456123', '456789', '741852', '753951', '789456', '852456', '951753', '963852', '987654',
  '111000', '000111', '100100', '200000', '520520', '696969', '112358', '246810', '135790',
  '12345678', '87654321', '11223344', '12121212', '123456789', '1234567890',
]);

/**
 * Whether this could be a PIN at all (digits, at most MAX_PIN_LENGTH): what a terminal checks before
 * any look-up. Whether it is a good PIN is pinProblem's question, asked when a PIN is set.
 */
export const isPinShaped = (pin: string): boolean => /^\d+$/.test(pin) && pin.length <= MAX_PIN_LENGTH;

/** Why this PIN is refused, or undefined when it is acceptable. */
export function pinProblem(pin: string, minLength: number = DEFAULT_MIN_PIN_LENGTH): string | undefined {
  if (!/^\d+$/.test(pin)) return 'a PIN is digits only';
  if (pin.length < minLength || pin.length > MAX_PIN_LENGTH) return `a PIN is ${minLength} to ${MAX_PIN_LENGTH} digits`;
  if (/^(\d)\1+$/.test(pin)) return 'a PIN cannot be one digit repeated';
  if (isRun(pin, 1) || isRun(pin, 9)) return 'a PIN cannot be a run of digits such as 123456';
  if (/^(\d{1,6})\1+$/.test(pin)) return 'a PIN cannot be a short group of digits repeated';
  if (COMMON_PINS.has(pin)) return 'that PIN is one of the first ones guessed';
  return undefined;
}

/** Each digit is the one before plus `step` (mod 10): step 1 counts up, step 9 counts down. */
function isRun(pin: string, step: number): boolean {
  for (let i = 1; i < pin.length; i++) {
    if (Number(pin[i]) !== (Number(pin[i - 1]) + step) % 10) return false;
  }
  return true;
}
