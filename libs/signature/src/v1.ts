import { createHmac } from 'node:crypto';
import { safeEqual } from '../../common/src/crypto.js';
import { percentEncode, sortedNames } from './encode.js';

/**
 * Alibaba RPC signature v1 (`SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`), reference §2.2, byte for
 * byte as @alicloud/pop-core `lib/rpc.js` and @alicloud/openapi-util `getRPCSignature` compute it:
 *
 *   canonical    = sorted(name=value for every parameter except Signature), each side percent-encoded
 *   stringToSign = METHOD + "&" + enc("/") + "&" + enc(canonical)
 *   signature    = Base64(HMAC-SHA1(key = secret + "&", stringToSign))
 *
 * Parameters are already flat (`ClientIdList.1`, …): sorting is over the flattened names, exactly like the
 * clients, which flatten before they sort.
 */
export const SIGNATURE_METHOD_V1 = 'HMAC-SHA1';
export const SIGNATURE_VERSION_V1 = '1.0';

export function canonicalQueryV1(params: Readonly<Record<string, string>>): string {
  return sortedNames(params)
    .filter((name) => name !== 'Signature')
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name])}`)
    .join('&');
}

export function stringToSignV1(method: string, params: Readonly<Record<string, string>>): string {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQueryV1(params))}`;
}

export function signV1(method: string, params: Readonly<Record<string, string>>, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSignV1(method, params), 'utf8').digest('base64');
}

export interface VerifyResult {
  ok: boolean;
  /** What the server signed; Alibaba echoes it in `SignatureDoesNotMatch` so a client can debug its signer. */
  stringToSign: string;
}

/** Recomputes the signature over `params` (minus `Signature`) and compares in constant time. */
export function verifyV1(method: string, params: Readonly<Record<string, string>>, secret: string): VerifyResult {
  const stringToSign = stringToSignV1(method, params);
  const expected = createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64');
  return { ok: safeEqual(expected, params.Signature ?? ''), stringToSign };
}
