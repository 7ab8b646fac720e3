import openapiUtil from '@alicloud/openapi-util';
import * as $tea from '@alicloud/tea-typescript';
import {
  authorizationV3,
  canonicalRequestV3,
  hashPayloadV3,
  parseAuthorizationV3,
  REQUIRED_SIGNED_HEADERS_V3,
  verifyV3,
  type CanonicalRequestInput,
} from './v3.js';

const OpenApiUtil = openapiUtil.default;

const BODY = 'GroupId=GID_test&InstanceId=mqtt-abcdefghijkl&Remark=it%27s%20%E4%B8%AD';

function teaRequest(): $tea.Request {
  // The request the Tea client builds for an RPC call (openapi-client doRequest), before signing.
  const req = new $tea.Request();
  req.method = 'POST';
  req.pathname = '/';
  req.query = { InstanceId: 'mqtt-abcdefghijkl', Topic: "a b!'()*~", Empty: '' };
  req.headers = {
    host: 'localhost:8080',
    'x-acs-version': '2020-04-20',
    'x-acs-action': 'CreateGroupId',
    'user-agent': 'AlibabaCloud (linux; x64) Node.js/v20 Core/1.0.1 TeaDSL/1',
    'x-acs-date': '2026-11-26T10:00:00Z',
    'x-acs-signature-nonce': '8d1f0c6e7f0b4b2e',
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
    'x-acs-content-sha256': hashPayloadV3(BODY),
  };
  return req;
}

function inputFrom(req: $tea.Request, signedHeaders: string[]): CanonicalRequestInput {
  return { method: req.method, path: req.pathname, query: req.query, headers: req.headers, signedHeaders, hashedPayload: req.headers['x-acs-content-sha256'] };
}

describe('signature v3 (ACS3-HMAC-SHA256)', () => {
  it('should produce the same Authorization header as @alicloud/openapi-util getAuthorization', () => {
    const req = teaRequest();
    const expected = OpenApiUtil.getAuthorization(req, 'ACS3-HMAC-SHA256', req.headers['x-acs-content-sha256'], 'LTAIkey', 'secret');
    const parsed = parseAuthorizationV3(expected);
    expect(parsed).toBeDefined();
    // The Tea client signs host, content-type and every x-acs-* header.
    expect(parsed!.signedHeaders).toEqual(['content-type', 'host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version']);
    expect(authorizationV3(inputFrom(req, parsed!.signedHeaders), 'LTAIkey', 'secret')).toBe(expected);
    expect(verifyV3(inputFrom(req, parsed!.signedHeaders), parsed!.signature, 'secret').ok).toBe(true);
  });

  it('should build the canonical request with a blank line after the headers', () => {
    const req = teaRequest();
    const canonical = canonicalRequestV3(inputFrom(req, ['x-acs-date', 'host']));
    expect(canonical).toBe(
      ['POST', '/', "Empty=&InstanceId=mqtt-abcdefghijkl&Topic=a%20b%21%27%28%29%2A~", 'host:localhost:8080\nx-acs-date:2026-11-26T10:00:00Z\n', 'host;x-acs-date', hashPayloadV3(BODY)].join('\n'),
    );
  });

  it('should reject a wrong secret, a changed query value, a changed signed header and a changed payload hash', () => {
    const req = teaRequest();
    const auth = parseAuthorizationV3(OpenApiUtil.getAuthorization(req, 'ACS3-HMAC-SHA256', req.headers['x-acs-content-sha256'], 'LTAIkey', 'secret'))!;
    const base = inputFrom(req, auth.signedHeaders);
    expect(verifyV3(base, auth.signature, 'Secret').ok).toBe(false);
    expect(verifyV3({ ...base, query: { ...base.query, InstanceId: 'mqtt-000000000000' } }, auth.signature, 'secret').ok).toBe(false);
    expect(verifyV3({ ...base, headers: { ...base.headers, 'x-acs-action': 'DeleteGroupId' } }, auth.signature, 'secret').ok).toBe(false);
    expect(verifyV3({ ...base, hashedPayload: hashPayloadV3('') }, auth.signature, 'secret').ok).toBe(false);
    expect(verifyV3({ ...base, method: 'GET' }, auth.signature, 'secret').ok).toBe(false);
  });

  it('should ignore unsigned headers', () => {
    const req = teaRequest();
    const auth = parseAuthorizationV3(OpenApiUtil.getAuthorization(req, 'ACS3-HMAC-SHA256', req.headers['x-acs-content-sha256'], 'LTAIkey', 'secret'))!;
    const input = inputFrom(req, auth.signedHeaders);
    expect(verifyV3({ ...input, headers: { ...input.headers, 'user-agent': 'curl', accept: '*/*' } }, auth.signature, 'secret').ok).toBe(true);
  });

  it('should match header names case-insensitively and join repeated values sorted', () => {
    const input: CanonicalRequestInput = {
      method: 'GET',
      path: '/',
      query: {},
      headers: { Host: ' h ', 'X-Acs-Date': ['b', 'a'] },
      signedHeaders: ['X-ACS-DATE', 'host'],
      hashedPayload: hashPayloadV3(''),
    };
    expect(canonicalRequestV3(input).split('\n').slice(3, 5)).toEqual(['host:h', 'x-acs-date:a,b']);
  });

  it('should parse well-formed Authorization headers and refuse malformed ones', () => {
    expect(parseAuthorizationV3('ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;X-Acs-Date,Signature=abc')).toEqual({
      accessKeyId: 'AK',
      signedHeaders: ['host', 'x-acs-date'],
      signature: 'abc',
    });
    expect(parseAuthorizationV3(undefined)).toBeUndefined();
    expect(parseAuthorizationV3('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(parseAuthorizationV3('ACS3-HMAC-SM3 Credential=AK,SignedHeaders=host,Signature=abc')).toBeUndefined();
    expect(parseAuthorizationV3('ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host')).toBeUndefined();
    expect(parseAuthorizationV3('ACS3-HMAC-SHA256 Credential=AK;Signature=abc')).toBeUndefined();
  });

  it('should list the headers a server must insist on', () => {
    expect(REQUIRED_SIGNED_HEADERS_V3).toEqual(expect.arrayContaining(['x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'host']));
  });
});
