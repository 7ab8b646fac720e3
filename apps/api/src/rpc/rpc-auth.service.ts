import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../../../../libs/common/src/errors.js';
import { AccessKeysService } from '../../../../libs/core/src/access-keys/access-keys.service.js';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { SIGNATURE_METHOD_V1, SIGNATURE_VERSION_V1, verifyV1 } from '../../../../libs/signature/src/v1.js';
import { ALGORITHM_V3, hashPayloadV3, parseAuthorizationV3, REQUIRED_SIGNED_HEADERS_V3, verifyV3 } from '../../../../libs/signature/src/v3.js';
import type { FlatParams } from './rpc-params.js';
import { RpcNonceStore } from './rpc-nonce.store.js';

/** Requests whose Timestamp differs from the server clock by more than this are refused (reference §2.1). */
export const TIMESTAMP_WINDOW_MS = 15 * 60_000;
/** Nonces are kept a little past the window, so clock skew between API replicas cannot reopen it. */
const NONCE_MARGIN_MS = 60_000;
const MAX_NONCE_LENGTH = 128;

/** What the endpoint knows of a request, independent of Express. */
export interface RpcRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Query and body parameters, merged. */
  params: FlatParams;
  /** Query parameters alone (v3 signs them apart from the body). */
  query: FlatParams;
  /** The body bytes as received (v3 signs their SHA-256). */
  body: Buffer;
}

/** Signature v3 requests carry `Authorization: ACS3-…`; everything else is treated as signature v1. */
export function isV3(headers: IncomingHttpHeaders): boolean {
  return (headers.authorization ?? '').startsWith('ACS3-');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Alibaba's POP gateway checks, in its order: the signature's own parameters are present, the
 * Timestamp is well-formed and fresh, the AccessKey exists and is active, the signature matches, and the
 * nonce has not been seen. Returns the authenticated caller.
 */
@Injectable()
export class RpcAuthService {
  constructor(
    private readonly keys: AccessKeysService,
    private readonly nonces: RpcNonceStore,
  ) {}

  authenticate(req: RpcRequest, now = Date.now()): Promise<Caller> {
    return isV3(req.headers) ? this.v3(req, now) : this.v1(req, now);
  }

  private async v1(req: RpcRequest, now: number): Promise<Caller> {
    const p = req.params;
    if (!p.Signature || !p.AccessKeyId) throw AppError.of('IncompleteSignature', 'The request must carry AccessKeyId and Signature (signature v1) or an ACS3-HMAC-SHA256 Authorization header (v3).');
    if (p.SignatureMethod !== SIGNATURE_METHOD_V1) throw AppError.invalid('SignatureMethod', `must be ${SIGNATURE_METHOD_V1}`);
    if (p.SignatureVersion !== SIGNATURE_VERSION_V1) throw AppError.invalid('SignatureVersion', `must be ${SIGNATURE_VERSION_V1}`);
    if (p.SecurityToken !== undefined) throw AppError.invalid('SecurityToken', 'STS tokens are not supported; sign with an AccessKey');
    const timestamp = checkTimestamp(p.Timestamp, now);
    const nonce = checkNonce(p.SignatureNonce);
    const { caller, secret } = await this.keys.authenticate(p.AccessKeyId);
    const result = verifyV1(req.method, p, secret);
    if (!result.ok) throw AppError.of('SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${result.stringToSign}`);
    await this.useNonce(caller.accessKeyId, nonce, timestamp);
    return caller;
  }

  private async v3(req: RpcRequest, now: number): Promise<Caller> {
    const auth = parseAuthorizationV3(header(req.headers, 'authorization'));
    if (!auth) throw AppError.of('IncompleteSignature', `The Authorization header must be "${ALGORITHM_V3} Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>".`);
    const unsigned = REQUIRED_SIGNED_HEADERS_V3.filter((h) => !auth.signedHeaders.includes(h));
    if (unsigned.length) throw AppError.of('IncompleteSignature', `SignedHeaders must include ${unsigned.join(', ')}.`);
    const timestamp = checkTimestamp(header(req.headers, 'x-acs-date'), now);
    const nonce = checkNonce(header(req.headers, 'x-acs-signature-nonce'));
    const { caller, secret } = await this.keys.authenticate(auth.accessKeyId);
    // The signature covers the body only through x-acs-content-sha256, so that header must match the body.
    const hashedPayload = hashPayloadV3(req.body);
    if (header(req.headers, 'x-acs-content-sha256') !== hashedPayload) throw AppError.of('SignatureDoesNotMatch', 'x-acs-content-sha256 does not match the SHA-256 of the request body.');
    const result = verifyV3({ method: req.method, path: req.path, query: req.query, headers: req.headers, signedHeaders: auth.signedHeaders, hashedPayload }, auth.signature, secret);
    if (!result.ok) throw AppError.of('SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${result.stringToSign}, canonical request is:${result.canonicalRequest}`);
    await this.useNonce(caller.accessKeyId, nonce, timestamp);
    return caller;
  }

  private async useNonce(accessKeyId: string, nonce: string, timestamp: number): Promise<void> {
    const fresh = await this.nonces.use(accessKeyId, nonce, new Date(timestamp + TIMESTAMP_WINDOW_MS + NONCE_MARGIN_MS));
    if (!fresh) throw AppError.of('SignatureNonceUsed', `The SignatureNonce "${nonce}" has been used already.`);
  }
}

/** `YYYY-MM-DDThh:mm:ssZ` (UTC; Alibaba's format — milliseconds tolerated), within ±15 min of now. */
export function checkTimestamp(value: string | undefined, now: number): number {
  if (!value) throw AppError.of('InvalidTimeStamp.Format', 'The Timestamp is missing; send UTC time as YYYY-MM-DDThh:mm:ssZ.');
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value) ? Date.parse(value) : NaN;
  // The round trip refuses dates that Date.parse would roll over (e.g. 2026-02-30).
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 19) !== value.slice(0, 19)) throw AppError.of('InvalidTimeStamp.Format', `The Timestamp "${value}" is not UTC time as YYYY-MM-DDThh:mm:ssZ.`);
  if (Math.abs(now - t) > TIMESTAMP_WINDOW_MS) {
    throw AppError.of('InvalidTimeStamp.Expired', `The Timestamp "${value}" differs from server time (${new Date(now).toISOString()}) by more than 15 minutes.`);
  }
  return t;
}

function checkNonce(nonce: string | undefined): string {
  if (!nonce) throw AppError.missing('SignatureNonce');
  if (nonce.length > MAX_NONCE_LENGTH) throw AppError.invalid('SignatureNonce', `must be at most ${MAX_NONCE_LENGTH} characters`);
  return nonce;
}
