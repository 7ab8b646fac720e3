import { randomBytes } from 'node:crypto';
import { hmacSha1Base64, randomString, safeEqual, SecretBox } from './crypto.js';
import { checkGroupId, checkInstanceName, parseClientId } from './names.js';

describe('SecretBox', () => {
  it('should round-trip and never repeat a ciphertext', () => {
    const box = new SecretBox(randomBytes(32));
    const a = box.seal('s3cret');
    expect(a).not.toContain('s3cret');
    expect(box.seal('s3cret')).not.toBe(a);
    expect(box.open(a)).toBe('s3cret');
  });

  it('should refuse a tampered ciphertext or another key', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('s3cret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('x' + Buffer.from(parts[3]!, 'base64url').toString('latin1')).toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow();
  });
});

describe('crypto helpers', () => {
  it('should compare strings exactly', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });

  it('should compute the Alibaba device password (Base64 HMAC-SHA1 of the ClientId)', () => {
    // Known vector: HMAC-SHA1(key="key", "The quick brown fox jumps over the lazy dog") = de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9
    expect(hmacSha1Base64('key', 'The quick brown fox jumps over the lazy dog')).toBe(Buffer.from('de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9', 'hex').toString('base64'));
  });

  it('should draw random strings from the alphabet', () => {
    const s = randomString(200, 'ab');
    expect(s).toMatch(/^[ab]{200}$/);
    expect(s).toContain('a');
    expect(s).toContain('b');
  });
});

describe('names', () => {
  it('should apply the instance and group rules', () => {
    expect(checkInstanceName('abc')).toBeUndefined();
    expect(checkInstanceName('ab')).toMatch(/3-64/);
    expect(checkInstanceName('a b c')).toMatch(/letters/);
    expect(checkGroupId('GID_ok1')).toBeUndefined();
    expect(checkGroupId('GID-ok1')).toBeUndefined();
    expect(checkGroupId('gid_ok1')).toMatch(/GID_/);
    expect(checkGroupId('GID_')).toMatch(/7-64/);
  });

  it('should split ClientIds and refuse malformed ones', () => {
    expect(parseClientId('GID_test@@@0001')).toEqual({ groupId: 'GID_test', deviceId: '0001' });
    expect(parseClientId('GID_test0001')).toBeUndefined();
    expect(parseClientId('GID_test@@@')).toBeUndefined();
    expect(parseClientId('@@@dev')).toBeUndefined();
    expect(parseClientId('GID_test@@@dev/1')).toBeUndefined();
    expect(parseClientId('nogid@@@dev')).toBeUndefined();
    expect(parseClientId(`GID_test@@@${'d'.repeat(60)}`)).toBeUndefined();
  });
});
