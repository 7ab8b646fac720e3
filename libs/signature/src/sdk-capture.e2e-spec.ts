/**
 * Checks both signers against the requests the real Tea client (@alicloud/openapi-client) puts on the
 * wire: a tiny HTTP server captures method, URL, headers and body, and we verify them the way the RPC
 * endpoint does. No Aviary code runs here besides the signature library.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import openapiClient from '@alicloud/openapi-client';
import teaUtil from '@alicloud/tea-util';
import { hashPayloadV3, parseAuthorizationV3, verifyV3 } from './v3.js';
import { verifyV1 } from './v1.js';

const OpenApi = openapiClient.default;
const { Config, OpenApiRequest, Params } = openapiClient;
const { RuntimeOptions } = teaUtil;

interface Captured {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let server: Server;
let port: number;
const captured: Captured[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({ method: req.method!, url: new URL(req.url!, 'http://x'), headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"RequestId":"R"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function client(signatureAlgorithm?: string) {
  return new OpenApi(new Config({ accessKeyId: 'LTAIcapture', accessKeySecret: 'capture-secret', endpoint: `127.0.0.1:${port}`, protocol: 'http', signatureAlgorithm }));
}

function params(action: string) {
  return new Params({ action, version: '2020-04-20', protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
}

const QUERY = { InstanceId: 'mqtt-abcdefghijkl', Remark: "it's (a) *test* 中" };
const BODY = { GroupId: 'GID_a b', 'ClientIdList.1': 'x+y' };

describe('signatures of the real @alicloud/openapi-client', () => {
  it('should verify its default v3 (ACS3-HMAC-SHA256) request, query and form body included', async () => {
    captured.length = 0;
    await client().callApi(params('CreateGroupId'), new OpenApiRequest({ query: QUERY, body: BODY }), new RuntimeOptions({}));
    const [req] = captured;
    const auth = parseAuthorizationV3(req.headers.authorization);
    expect(auth?.accessKeyId).toBe('LTAIcapture');
    expect(req.headers['x-acs-content-sha256']).toBe(hashPayloadV3(req.body));
    const input = {
      method: req.method,
      path: req.url.pathname,
      query: Object.fromEntries(req.url.searchParams),
      headers: req.headers,
      signedHeaders: auth!.signedHeaders,
      hashedPayload: hashPayloadV3(req.body),
    };
    expect(input.query).toEqual(QUERY);
    expect(verifyV3(input, auth!.signature, 'capture-secret').ok).toBe(true);
    expect(verifyV3(input, auth!.signature, 'other-secret').ok).toBe(false);
  });

  it('should verify its legacy v2 (HMAC-SHA1 RPC) request over query ∪ body', async () => {
    captured.length = 0;
    await client('v2').callApi(params('ListGroupId'), new OpenApiRequest({ query: QUERY, body: BODY }), new RuntimeOptions({}));
    const [req] = captured;
    const merged = { ...Object.fromEntries(req.url.searchParams), ...Object.fromEntries(new URLSearchParams(req.body.toString('utf8'))) };
    expect(merged).toMatchObject({ Action: 'ListGroupId', Format: 'json', SignatureMethod: 'HMAC-SHA1', ...QUERY, ...BODY });
    expect(verifyV1(req.method, merged, 'capture-secret').ok).toBe(true);
    expect(verifyV1(req.method, { ...merged, GroupId: 'GID_other' }, 'capture-secret').ok).toBe(false);
  });
});
