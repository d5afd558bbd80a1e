import { isAcceptedClientState } from '../../../src/secrets/client-state';

describe('clientState comparison', () => {
  it('accepts the current and the previous value, nothing else', () => {
    const accepted = ['current-value', 'previous-value'];
    expect(isAcceptedClientState('current-value', accepted)).toBe(true);
    expect(isAcceptedClientState('previous-value', accepted)).toBe(true);
    expect(isAcceptedClientState('current-valuE', accepted)).toBe(false);
    expect(isAcceptedClientState('current-value ', accepted)).toBe(false);
    expect(isAcceptedClientState('', accepted)).toBe(false);
    expect(isAcceptedClientState(undefined, accepted)).toBe(false);
  });

  it('accepts nothing when no value is configured, not even an empty one', () => {
    expect(isAcceptedClientState('', [])).toBe(false);
    expect(isAcceptedClientState(undefined, [''])).toBe(false);
  });
});
