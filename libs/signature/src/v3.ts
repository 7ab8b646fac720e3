import { createHash, createHmac } from 'node:crypto';
import { safeEqual } from '../../common/src/crypto.js';
import { percentEncode, sortedNames } from './encode.js';

/**
 * Alibaba signature v3 (`ACS3-HMAC-SHA256`), the default of the Tea SDKs (@alicloud/openapi-client
 * `doRequest` + @alicloud/openapi-util `getAuthorization`):
 *
 *   canonicalRequest = METHOD \n URI \n canonicalQuery \n canonicalHeaders \n signedHeaders \n hashedPayload
 *   stringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(canonicalRequest))
 *   signature        = hex(HMAC-SHA256(key = secret, stringToSign))
 *   Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b;…>,Signature=<hex>
 *
 * canonicalQuery: names sorted, `name=enc(value)` joined by `&` (values RFC 3986-encoded; openapi-util
 * leaves names as they are, the other SDKs encode them — identical for every name Aviary accepts).
 * canonicalHeaders: each signed header, lower-cased and sorted, as `name:trimmed-value\n`.
 * hashedPayload: hex(sha256(body bytes)), sent as `x-acs-content-sha256` (the server must check it
 * against the body it received, or the body would not be covered by the signature).
 */
export const ALGORITHM_V3 = 'ACS3-HMAC-SHA256';

/** Headers that must be signed: without them a request could be replayed or re-targeted. */
export const REQUIRED_SIGNED_HEADERS_V3 = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'];

export interface CanonicalRequestInput {
  method: string;
  /** Path as sent (always `/` for RPC). */
  path: string;
  /** Decoded query parameters. */
  query: Readonly<Record<string, string>>;
  /** Request headers; names compared case-insensitively. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Lower-case header names the client signed. */
  signedHeaders: readonly string[];
  /** hex(sha256(body)), i.e. the `x-acs-content-sha256` value. */
  hashedPayload: string;
}

export function hashPayloadV3(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

function canonicalUri(path: string): string {
  // openapi-util applies these replacements (first occurrence each) to the already-encoded path.
  return (path || '/').replace('+', '%20').replace('*', '%2A').replace('%7E', '~');
}

export function canonicalQueryV3(query: Readonly<Record<string, string>>): string {
  return sortedNames(query)
    .map((name) => `${percentEncode(name)}=${percentEncode(query[name] ?? '')}`)
    .join('&');
}

function headerValue(headers: CanonicalRequestInput['headers'], name: string): string {
  const values: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) values.push(v.trim());
  }
  return values.sort().join(',');
}

export function canonicalRequestV3(input: CanonicalRequestInput): string {
  const signed = [...input.signedHeaders].map((h) => h.toLowerCase()).sort();
  const canonicalHeaders = signed.map((h) => `${h}:${headerValue(input.headers, h)}\n`).join('');
  return [input.method.toUpperCase(), canonicalUri(input.path), canonicalQueryV3(input.query), canonicalHeaders, signed.join(';'), input.hashedPayload].join('\n');
}

export function stringToSignV3(canonicalRequest: string): string {
  return `${ALGORITHM_V3}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
}

export function signV3(input: CanonicalRequestInput, secret: string): string {
  return createHmac('sha256', secret).update(stringToSignV3(canonicalRequestV3(input)), 'utf8').digest('hex');
}

/** The `Authorization` header value a client sends (used by tests and by anyone writing a client). */
export function authorizationV3(input: CanonicalRequestInput, accessKeyId: string, secret: string): string {
  const signed = [...input.signedHeaders].map((h) => h.toLowerCase()).sort();
  return `${ALGORITHM_V3} Credential=${accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signV3(input, secret)}`;
}

export interface AuthorizationV3 {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`; undefined when malformed. */
export function parseAuthorizationV3(header: string | undefined): AuthorizationV3 | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== ALGORITHM_V3) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) return undefined;
  return { accessKeyId, signedHeaders: signedHeaders.split(';').map((h) => h.toLowerCase()), signature };
}

export interface VerifyV3Result {
  ok: boolean;
  canonicalRequest: string;
  stringToSign: string;
}

/** Recomputes the v3 signature and compares it to `signature` in constant time. */
export function verifyV3(input: CanonicalRequestInput, signature: string, secret: string): VerifyV3Result {
  const canonicalRequest = canonicalRequestV3(input);
  const stringToSign = stringToSignV3(canonicalRequest);
  const expected = createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
  return { ok: safeEqual(expected, signature.toLowerCase()), canonicalRequest, stringToSign };
}
