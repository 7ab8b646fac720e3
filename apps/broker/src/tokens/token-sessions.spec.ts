import type { TokenInfo } from './token-index.js';
import { invalidCode } from './token-sessions.js';

describe('invalidCode (tokenInvalidNotice codes)', () => {
  const now = 1_000_000;
  const token: TokenInfo = { rowId: 'r', hash: 'h', instanceId: 'mqtt-a', accessKeyId: 'AK1', resources: ['T/#'], type: 'R', expireAt: now + 1, revokedAt: null };
  const want = { instanceId: 'mqtt-a', accessKeyId: 'AK1', type: 'R' as const };

  it('should accept a live token of the right instance, key and type', () => {
    expect(invalidCode(token, want, now, true)).toBeUndefined();
  });

  it('should give 1 for unknown or foreign tokens, 2 expired, 3 revoked, 5 wrong type, -1 key disabled', () => {
    expect(invalidCode(undefined, want, now, true)).toBe(1);
    expect(invalidCode({ ...token, instanceId: 'mqtt-b' }, want, now, true)).toBe(1);
    expect(invalidCode({ ...token, accessKeyId: 'AK2' }, want, now, true)).toBe(1);
    expect(invalidCode({ ...token, expireAt: now }, want, now, true)).toBe(2);
    expect(invalidCode({ ...token, revokedAt: now - 5, expireAt: now }, want, now, true)).toBe(3);
    expect(invalidCode(token, { ...want, type: 'RW' }, now, true)).toBe(5);
    expect(invalidCode(token, want, now, false)).toBe(-1);
  });

  it('should judge a held token that left the index by what was validated: 2 when past its expiry, else 3', () => {
    expect(invalidCode(undefined, want, now, true, { ...token, expireAt: now - 1 })).toBe(2);
    expect(invalidCode(undefined, want, now, true, token)).toBe(3);
  });
});
