import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHANUM_LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniformly random string over `alphabet` (rejection sampling, so no modulo bias). */
export function randomString(length: number, alphabet: string = ALPHANUM): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export function randomLowerAlnum(length: number): string {
  return randomString(length, ALPHANUM_LOWER);
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Base64(HMAC-SHA1(key, message)): the device password of Signature and DeviceCredential modes. */
export function hmacSha1Base64(key: string, message: string): string {
  return createHmac('sha1', key).update(message, 'utf8').digest('base64');
}

/**
 * Constant-time string comparison: the time depends on the lengths only, never on where the strings
 * differ (lengths of what we compare — HMAC digests, secrets of fixed formats — are public). This runs
 * on every device CONNECT, so no hashing of both sides (which cost as much as the HMAC itself).
 */
export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ba.length !== bb.length) {
    timingSafeEqual(ba, ba); // same work as a comparison, result ignored
    return false;
  }
  return timingSafeEqual(ba, bb);
}

/**
 * AES-256-GCM for secrets that must be readable again (AccessKey and device secrets feed HMAC checks).
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each base64url. The version prefix leaves room for key rotation.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, ct] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('Unrecognised sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}
