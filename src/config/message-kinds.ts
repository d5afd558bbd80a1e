/**
 * The kinds of message Release Gate can send a user, each opt-in (RELEASE_GATE_MESSAGES). Declared
 * here so the settings schema and the messages module share one list without depending on each other.
 */
export const MESSAGE_KIND_NAMES = ['denied', 'held', 'expired', 'deleted', 'expiry-warning', 'quota'] as const;
export type MessageKindName = (typeof MESSAGE_KIND_NAMES)[number];
