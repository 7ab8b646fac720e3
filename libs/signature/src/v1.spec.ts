import openapiUtil from '@alicloud/openapi-util';
import { percentEncode } from './encode.js';
import { canonicalQueryV1, signV1, stringToSignV1, verifyV1 } from './v1.js';

const OpenApiUtil = openapiUtil.default;

// The example of Alibaba's public "RPC signature" documentation.
const DOC_PARAMS = {
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  Format: 'XML',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  Timestamp: '2016-02-23T12:46:24Z',
  Version: '2014-05-26',
};

describe('percentEncode', () => {
  it('should encode RFC 3986 reserved characters that encodeURIComponent leaves alone', () => {
    expect(percentEncode("!'()*")).toBe('%21%27%28%29%2A');
  });

  it('should encode space as %20, keep ~, and encode UTF-8 bytes', () => {
    expect(percentEncode('a b~c')).toBe('a%20b~c');
    expect(percentEncode('中')).toBe('%E4%B8%AD');
    expect(percentEncode('a+b/c=d&e')).toBe('a%2Bb%2Fc%3Dd%26e');
  });
});

describe('signature v1', () => {
  it('should reproduce the public documentation vector', () => {
    expect(stringToSignV1('GET', DOC_PARAMS)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
        '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
        '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(signV1('GET', DOC_PARAMS, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('should upper-case the method and leave Signature out of the canonical string', () => {
    const signed = { ...DOC_PARAMS, Signature: 'whatever' };
    expect(stringToSignV1('get', signed)).toBe(stringToSignV1('GET', DOC_PARAMS));
    expect(canonicalQueryV1(signed)).not.toContain('Signature=');
  });

  it('should sort by flattened names byte-wise, so ClientIdList.10 sorts before ClientIdList.2', () => {
    const params = { 'ClientIdList.2': 'b', 'ClientIdList.10': 'j', 'ClientIdList.1': 'a', Action: 'X' };
    expect(canonicalQueryV1(params)).toBe('Action=X&ClientIdList.1=a&ClientIdList.10=j&ClientIdList.2=b');
  });

  it('should agree with @alicloud/openapi-util getRPCSignature on awkward values', () => {
    const params = { ...DOC_PARAMS, Remark: "it's (a) *test* with spaces, ~tildes~ and 中文", Payload: 'a+b=c&d/e?f' };
    for (const method of ['GET', 'POST']) {
      expect(signV1(method, params, 'sec ret!')).toBe(OpenApiUtil.getRPCSignature(params, method, 'sec ret!'));
    }
  });

  it('should verify a correct signature and reject a wrong secret, a tampered value and a missing signature', () => {
    const signature = signV1('POST', DOC_PARAMS, 'testsecret');
    expect(verifyV1('POST', { ...DOC_PARAMS, Signature: signature }, 'testsecret').ok).toBe(true);
    expect(verifyV1('POST', { ...DOC_PARAMS, Signature: signature }, 'testsecreT').ok).toBe(false);
    expect(verifyV1('GET', { ...DOC_PARAMS, Signature: signature }, 'testsecret').ok).toBe(false);
    expect(verifyV1('POST', { ...DOC_PARAMS, Version: '2014-05-27', Signature: signature }, 'testsecret').ok).toBe(false);
    expect(verifyV1('POST', { ...DOC_PARAMS, Extra: '', Signature: signature }, 'testsecret').ok).toBe(false);
    expect(verifyV1('POST', DOC_PARAMS, 'testsecret').ok).toBe(false);
  });

  it('should return the string it signed, for the SignatureDoesNotMatch message', () => {
    expect(verifyV1('GET', { ...DOC_PARAMS, Signature: 'x' }, 'testsecret').stringToSign).toBe(stringToSignV1('GET', DOC_PARAMS));
  });
});
