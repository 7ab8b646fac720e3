import type { Request } from 'express';
import { stringify } from 'node:querystring';
import { AppError } from '../../../../libs/common/src/errors.js';
import { hashPayloadV3 } from '../../../../libs/signature/src/v3.js';
import { toRpcRequest } from './rpc.endpoint.js';

function fakeRequest(parts: { url: string; method?: string; contentType?: string; body?: unknown; rawBody?: Buffer }): Request {
  return {
    originalUrl: parts.url,
    url: parts.url,
    method: parts.method ?? 'POST',
    headers: parts.contentType ? { 'content-type': parts.contentType } : {},
    body: parts.body,
    rawBody: parts.rawBody,
  } as unknown as Request;
}

describe('toRpcRequest', () => {
  // What the Tea client sends for a form body: querystring.stringify of the flat parameters.
  const teaBody = stringify({ GroupId: 'GID_a b', Remark: "it's (x) *y* 中~" });

  it('should use the exact body bytes when the app keeps rawBody', () => {
    const req = toRpcRequest(
      fakeRequest({ url: '/?Action=CreateGroupId&InstanceId=mqtt-1', contentType: 'application/x-www-form-urlencoded; charset=utf-8', body: { ignored: 'x' }, rawBody: Buffer.from(teaBody) }),
    );
    expect(req.path).toBe('/');
    expect(req.query).toEqual({ Action: 'CreateGroupId', InstanceId: 'mqtt-1' });
    expect(req.params).toEqual({ Action: 'CreateGroupId', InstanceId: 'mqtt-1', GroupId: 'GID_a b', Remark: "it's (x) *y* 中~" });
    expect(hashPayloadV3(req.body)).toBe(hashPayloadV3(teaBody));
  });

  it('should rebuild the same bytes from a parsed body when rawBody is not kept', () => {
    const parsed = Object.fromEntries(new URLSearchParams(teaBody));
    const req = toRpcRequest(fakeRequest({ url: '/', contentType: 'application/x-www-form-urlencoded', body: parsed }));
    expect(req.params).toEqual(parsed);
    expect(hashPayloadV3(req.body)).toBe(hashPayloadV3(teaBody));
  });

  it('should treat a request without a body as an empty payload', () => {
    const req = toRpcRequest(fakeRequest({ url: '/?A=1', method: 'GET', body: {} }));
    expect(req.body.length).toBe(0);
    expect(req.params).toEqual({ A: '1' });
  });

  it('should refuse a body that is not a form', () => {
    expect(() => toRpcRequest(fakeRequest({ url: '/', contentType: 'application/json', body: { Action: 'X' } }))).toThrow(AppError);
    expect(() => toRpcRequest(fakeRequest({ url: '/', contentType: 'text/plain', rawBody: Buffer.from('Action=X') }))).toThrow(AppError);
  });
});
