/**
 * Helpers of the RPC e2e tests: the API app with the RPC face, Alibaba's own clients pointed at it, and a
 * bare signed-request helper for what the clients cannot do (replays, missing signatures, status codes).
 */
import RPCClient from '@alicloud/pop-core';
import { randomUUID } from 'node:crypto';
import { startApiApp, type TestApi } from '../../../libs/testing/src/api-app.js';
import { signV1 } from '../../../libs/signature/src/v1.js';

export const VERSION = '2020-04-20';

/** The real API app (startApiApp), which serves the RPC face at `/`. */
export function startRpcApi(): Promise<TestApi> {
  return startApiApp();
}

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
}

export function rootOf(api: TestApi): Credentials {
  return { accessKeyId: api.rootAccessKeyId, accessKeySecret: api.rootAccessKeySecret };
}

export function popClient(api: TestApi, creds: Credentials = rootOf(api), apiVersion = VERSION): RPCClient {
  return new RPCClient({ ...creds, endpoint: api.url, apiVersion });
}

/** pop-core's rejection, reduced to what the tests check: Code, HTTP status and body. */
export interface PopFailure {
  code: string;
  status: number;
  data: Record<string, unknown>;
}

export async function popError(promise: Promise<unknown>): Promise<PopFailure> {
  try {
    await promise;
  } catch (e) {
    const err = e as { code?: string; data?: Record<string, unknown>; entry?: { response?: { statusCode?: number } } };
    if (!err.code) throw e;
    return { code: err.code, status: err.entry?.response?.statusCode ?? 0, data: err.data ?? {} };
  }
  throw new Error('expected the call to fail');
}

/** Signature v1 common parameters for a hand-made request. */
export function commonParams(action: string, creds: Credentials, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Action: action,
    Version: VERSION,
    Format: 'JSON',
    AccessKeyId: creds.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...extra,
  };
}

/** Sends a hand-signed v1 request (GET: query; POST: form body) and returns status and JSON body. */
export async function signedV1(
  api: TestApi,
  method: 'GET' | 'POST',
  params: Record<string, string>,
  secret: string | undefined,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const all = secret === undefined ? params : { ...params, Signature: signV1(method, params, secret) };
  const form = new URLSearchParams(all).toString();
  const res =
    method === 'GET'
      ? await fetch(`${api.url}/?${form}`)
      : await fetch(`${api.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}
