/**
 * The RPC face driven by the newer Tea client (@alicloud/openapi-client `callApi`, RPC style) with its
 * default signature (v3, ACS3-HMAC-SHA256) — and its legacy v2 mode — plus hand-made v3 requests for
 * what a client never does (replays, tampering). Also: nonces are shared by API replicas.
 */
import openapiClient from '@alicloud/openapi-client';
import teaUtil from '@alicloud/tea-util';
import { randomUUID } from 'node:crypto';
import { authorizationV3, hashPayloadV3 } from '../../../libs/signature/src/v3.js';
import { uniqueName, type TestApi } from '../../../libs/testing/src/api-app.js';
import { commonParams, popClient, rootOf, signedV1, startRpcApi, VERSION, type Credentials } from './rpc-helpers.js';

const OpenApi = openapiClient.default;
const { Config, OpenApiRequest, Params } = openapiClient;
const { RuntimeOptions } = teaUtil;

type Body = Record<string, any>;

describe('RPC endpoint with @alicloud/openapi-client', () => {
  let api: TestApi;
  let instanceId: string;

  beforeAll(async () => {
    api = await startRpcApi();
    instanceId = (await popClient(api).request<Body>('CreateInstance', { InstanceName: uniqueName('tea') })).InstanceId;
  });
  afterAll(() => api.close());

  function tea(creds: Credentials = rootOf(api), signatureAlgorithm?: string) {
    const host = api.url.replace(/^http:\/\//, '');
    return new OpenApi(new Config({ ...creds, endpoint: host, protocol: 'http', signatureAlgorithm }));
  }

  /** As the generated OnsMqtt 2020-04-20 client calls: POST, RPC style, business parameters in the query. */
  function call(client: InstanceType<typeof OpenApi>, action: string, query: Record<string, string>, body?: Record<string, string>): Promise<{ body: Body; statusCode: number }> {
    const params = new Params({ action, version: VERSION, protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
    return client.callApi(params, new OpenApiRequest({ query, body }), new RuntimeOptions({})) as Promise<{ body: Body; statusCode: number }>;
  }

  async function teaError(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
    try {
      await promise;
    } catch (e) {
      const err = e as { code?: string; data?: { statusCode?: number } };
      return { code: err.code ?? '', status: err.data?.statusCode ?? 0 };
    }
    throw new Error('expected the call to fail');
  }

  it('should create and list GroupIds with the default v3 signature, parameters in the query', async () => {
    const created = await call(tea(), 'CreateGroupId', { InstanceId: instanceId, GroupId: 'GID_tea' });
    expect(created.statusCode).toBe(200);
    expect(created.body).toEqual({ RequestId: expect.any(String) });
    const listed = await call(tea(), 'ListGroupId', { InstanceId: instanceId });
    expect(listed.body.Data).toContainEqual({ GroupId: 'GID_tea', InstanceId: instanceId, IndependentNaming: true, CreateTime: expect.any(Number), UpdateTime: expect.any(Number) });
  });

  it('should accept v3 with business parameters in the form body (signed through x-acs-content-sha256)', async () => {
    await call(tea(), 'CreateGroupId', { InstanceId: instanceId }, { GroupId: 'GID_tea_body' });
    const listed = await call(tea(), 'ListGroupId', {}, { InstanceId: instanceId });
    expect(listed.body.Data.map((g: Body) => g.GroupId)).toContain('GID_tea_body');
    await call(tea(), 'DeleteGroupId', { InstanceId: instanceId }, { GroupId: 'GID_tea_body' });
  });

  it('should accept the Tea client\'s legacy v2 (HMAC-SHA1) signing too', async () => {
    const listed = await call(tea(rootOf(api), 'v2'), 'ListGroupId', { InstanceId: instanceId });
    expect(listed.body.Data.map((g: Body) => g.GroupId)).toContain('GID_tea');
    await call(tea(rootOf(api), 'v2'), 'CreateGroupId', { InstanceId: instanceId }, { GroupId: 'GID_tea_v2' });
  });

  it('should report errors so that the Tea client throws with Code and HTTP status', async () => {
    expect(await teaError(call(tea({ accessKeyId: api.rootAccessKeyId, accessKeySecret: 'wrong' }), 'ListGroupId', { InstanceId: instanceId }))).toEqual({ code: 'SignatureDoesNotMatch', status: 400 });
    expect(await teaError(call(tea({ accessKeyId: 'LTAInobody', accessKeySecret: 'x' }), 'ListGroupId', { InstanceId: instanceId }))).toEqual({ code: 'InvalidAccessKeyId.NotFound', status: 404 });
    expect(await teaError(call(tea(), 'CreateGroupId', { InstanceId: instanceId, GroupId: 'GID_tea' }))).toEqual({ code: 'GroupIdAlreadyExsited', status: 409 });
    expect(await teaError(call(tea(), 'CreateGroupId', { InstanceId: instanceId }))).toEqual({ code: 'MissingParameter', status: 400 });
    expect(await teaError(call(tea(), 'NoSuchAction', {}))).toEqual({ code: 'InvalidAction.NotFound', status: 404 });
  });

  describe('hand-made v3 requests', () => {
    function v3Request(action: string, query: Record<string, string>, body: string, opts: { nonce?: string; date?: string; signed?: string[]; secret?: string } = {}) {
      const host = api.url.replace(/^http:\/\//, '');
      const headers: Record<string, string> = {
        host,
        'x-acs-action': action,
        'x-acs-version': VERSION,
        'x-acs-date': opts.date ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        'x-acs-signature-nonce': opts.nonce ?? randomUUID(),
        'x-acs-content-sha256': hashPayloadV3(body),
        'content-type': 'application/x-www-form-urlencoded',
      };
      const signedHeaders = opts.signed ?? Object.keys(headers);
      headers.authorization = authorizationV3({ method: 'POST', path: '/', query, headers, signedHeaders, hashedPayload: headers['x-acs-content-sha256']! }, api.rootAccessKeyId, opts.secret ?? api.rootAccessKeySecret);
      return { url: `${api.url}/?${new URLSearchParams(query)}`, init: { method: 'POST', headers, body } };
    }

    async function send(req: { url: string; init: RequestInit }): Promise<{ status: number; body: Body }> {
      const res = await fetch(req.url, req.init);
      return { status: res.status, body: (await res.json()) as Body };
    }

    it('should refuse a replayed request with SignatureNonceUsed', async () => {
      const req = v3Request('ListGroupId', { InstanceId: instanceId }, '');
      expect((await send(req)).status).toBe(200);
      const replay = await send(req);
      expect([replay.status, replay.body.Code]).toEqual([400, 'SignatureNonceUsed']);
    });

    it('should refuse a body that does not match x-acs-content-sha256', async () => {
      const req = v3Request('CreateGroupId', { InstanceId: instanceId }, 'GroupId=GID_signed');
      const tampered = await send({ url: req.url, init: { ...req.init, body: 'GroupId=GID_tampered' } });
      expect([tampered.status, tampered.body.Code]).toEqual([400, 'SignatureDoesNotMatch']);
    });

    it('should refuse a changed query and a stale x-acs-date', async () => {
      const req = v3Request('ListGroupId', { InstanceId: instanceId }, '');
      const moved = await send({ url: req.url.replace(instanceId, 'mqtt-000000000000'), init: req.init });
      expect([moved.status, moved.body.Code]).toEqual([400, 'SignatureDoesNotMatch']);
      const stale = await send(v3Request('ListGroupId', { InstanceId: instanceId }, '', { date: new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }));
      expect([stale.status, stale.body.Code]).toEqual([400, 'InvalidTimeStamp.Expired']);
    });

    it('should insist that the nonce, date, action and payload hash are signed', async () => {
      const res = await send(v3Request('ListGroupId', { InstanceId: instanceId }, '', { signed: ['host', 'x-acs-action', 'x-acs-version', 'x-acs-content-sha256'] }));
      expect([res.status, res.body.Code]).toEqual([400, 'IncompleteSignature']);
      const malformed = await fetch(`${api.url}/`, { method: 'POST', headers: { authorization: 'ACS3-HMAC-SHA256 nonsense', 'x-acs-action': 'ListInstances', 'x-acs-version': VERSION } });
      expect([malformed.status, ((await malformed.json()) as Body).Code]).toEqual([400, 'IncompleteSignature']);
    });
  });

  it('should refuse a nonce replayed against another API replica', async () => {
    const replica = await startRpcApi();
    try {
      const params = commonParams('ListInstances', rootOf(api));
      expect((await signedV1(api, 'GET', params, api.rootAccessKeySecret)).status).toBe(200);
      const replay = await signedV1(replica, 'GET', params, api.rootAccessKeySecret);
      expect([replay.status, replay.body.Code]).toEqual([400, 'SignatureNonceUsed']);
    } finally {
      await replica.close();
    }
  });
});
