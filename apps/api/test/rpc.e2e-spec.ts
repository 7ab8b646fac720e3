/**
 * The RPC face driven by Alibaba's own @alicloud/pop-core RPCClient (signature v1): every action over GET
 * and POST, and every documented error code with its HTTP status.
 */
import type RPCClient from '@alicloud/pop-core';
import { signV1 } from '../../../libs/signature/src/v1.js';
import { startApiApp, uniqueName, type TestApi } from '../../../libs/testing/src/api-app.js';
import { commonParams, popClient, popError, rootOf, signedV1, startRpcApi, type Credentials } from './rpc-helpers.js';

type Body = Record<string, any>;

describe('RPC endpoint with @alicloud/pop-core', () => {
  let api: TestApi;
  let root: RPCClient;

  beforeAll(async () => {
    api = await startRpcApi();
    root = popClient(api);
  });
  afterAll(() => api.close());

  describe.each(['GET', 'POST'] as const)('every action over %s', (method) => {
    const call = (client: RPCClient, action: string, params: Record<string, unknown> = {}) => client.request<Body>(action, params, { method });

    function expectSuccess(body: Body): void {
      expect(body.RequestId).toMatch(/^[0-9A-F-]{36}$/);
      expect(body).not.toHaveProperty('Code');
    }

    it('should create, list, update and delete an instance', async () => {
      const name = uniqueName('rpc');
      const created = await call(root, 'CreateInstance', { InstanceName: name, Remark: 'made by pop-core', MaxGroups: 7 });
      expectSuccess(created);
      expect(Object.keys(created).sort()).toEqual(['InstanceId', 'RequestId']);
      const id = created.InstanceId as string;

      const listed = await call(root, 'ListInstances');
      expectSuccess(listed);
      const mine = (listed.Instances as Body[]).find((i) => i.InstanceId === id);
      expect(mine).toMatchObject({ InstanceName: name, Remark: 'made by pop-core', InstanceStatus: 5, RegionId: 'aviary', MqttTags: [], KernelVersion: '3.3.0' });
      expect(mine!.Limits.MaxGroups).toBe(7);
      expect(typeof mine!.CreateTime).toBe('number');
      expect(mine!.Endpoints.Tcp).toMatch(/^tcp:\/\//);

      expectSuccess(await call(root, 'UpdateInstance', { InstanceId: id, InstanceName: `${name}-x`, Remark: 'renamed', MaxGroups: 9 }));
      const after = ((await call(root, 'ListInstances')).Instances as Body[]).find((i) => i.InstanceId === id)!;
      expect(after).toMatchObject({ InstanceName: `${name}-x`, Remark: 'renamed' });
      expect(after.Limits.MaxGroups).toBe(9);

      const deleted = await call(root, 'DeleteInstance', { InstanceId: id });
      expect(Object.keys(deleted)).toEqual(['RequestId']);
      expect(((await call(root, 'ListInstances')).Instances as Body[]).map((i) => i.InstanceId)).not.toContain(id);
    });

    it('should create, list, update and delete parent topics', async () => {
      const { InstanceId } = await call(root, 'CreateInstance', { InstanceName: uniqueName('rpc') });
      expectSuccess(await call(root, 'CreateTopic', { InstanceId, Topic: 'sensors', Remark: 'first' }));
      expectSuccess(await call(root, 'CreateTopic', { InstanceId, Topic: 'alarms' }));

      const listed = await call(root, 'ListTopic', { InstanceId });
      expectSuccess(listed);
      expect(listed.Data).toEqual([
        { Topic: 'alarms', Remark: '', CreateTime: expect.any(Number) },
        { Topic: 'sensors', Remark: 'first', CreateTime: expect.any(Number) },
      ]);

      expectSuccess(await call(root, 'UpdateTopic', { InstanceId, Topic: 'sensors', Remark: 'a remark with spaces & symbols: 中文!*()' }));
      expect((await call(root, 'ListTopic', { InstanceId })).Data[1].Remark).toBe('a remark with spaces & symbols: 中文!*()');

      expectSuccess(await call(root, 'DeleteTopic', { InstanceId, Topic: 'alarms' }));
      expect((await call(root, 'ListTopic', { InstanceId })).Data.map((t: Body) => t.Topic)).toEqual(['sensors']);
      const again = await popError(call(root, 'DeleteTopic', { InstanceId, Topic: 'alarms' }));
      expect([again.code, again.status]).toEqual(['TopicNotFound', 404]);
    });

    it('should create, list and delete GroupIds with exactly Alibaba\'s ListGroupId fields', async () => {
      const { InstanceId } = await call(root, 'CreateInstance', { InstanceName: uniqueName('rpc') });
      const before = Date.now();
      expectSuccess(await call(root, 'CreateGroupId', { InstanceId, GroupId: 'GID_devices' }));
      expectSuccess(await call(root, 'CreateGroupId', { InstanceId, GroupId: 'GID-other' }));

      const listed = await call(root, 'ListGroupId', { InstanceId });
      expectSuccess(listed);
      expect(Object.keys(listed).sort()).toEqual(['Data', 'RequestId']);
      const group = (listed.Data as Body[]).find((g) => g.GroupId === 'GID_devices')!;
      expect(Object.keys(group).sort()).toEqual(['CreateTime', 'GroupId', 'IndependentNaming', 'InstanceId', 'UpdateTime']);
      expect(group).toEqual({ GroupId: 'GID_devices', InstanceId, IndependentNaming: true, CreateTime: expect.any(Number), UpdateTime: expect.any(Number) });
      expect(group.CreateTime).toBeGreaterThanOrEqual(before - 5000);
      expect(group.CreateTime).toBeLessThanOrEqual(Date.now() + 5000);

      const dup = await popError(call(root, 'CreateGroupId', { InstanceId, GroupId: 'GID_devices' }));
      expect(dup.code).toBe('GroupIdAlreadyExsited');

      expectSuccess(await call(root, 'DeleteGroupId', { InstanceId, GroupId: 'GID_devices' }));
      expect((await call(root, 'ListGroupId', { InstanceId })).Data.map((g: Body) => g.GroupId)).toEqual(['GID-other']);
    });

    it('should create, list, disable and delete AccessKeys', async () => {
      const created = await call(root, 'CreateAccessKey', { Policy: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:ListInstances'], Resource: ['*'] }] }), Remark: 'ops' });
      expectSuccess(created);
      expect(Object.keys(created).sort()).toEqual(['AccessKeyId', 'AccessKeySecret', 'RequestId']);
      const creds: Credentials = { accessKeyId: created.AccessKeyId, accessKeySecret: created.AccessKeySecret };
      const user = popClient(api, creds);
      expectSuccess(await call(user, 'ListInstances'));

      const listed = await call(root, 'ListAccessKeys');
      const entry = (listed.AccessKeys.AccessKey as Body[]).find((k) => k.AccessKeyId === creds.accessKeyId)!;
      expect(entry).toEqual({
        AccessKeyId: creds.accessKeyId,
        Status: 'Active',
        CreateDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        UpdateDate: expect.any(String),
        IsRoot: false,
        Policy: expect.stringContaining('mq:ListInstances'),
        Remark: 'ops',
      });
      expect(JSON.stringify(listed)).not.toContain(creds.accessKeySecret);

      expectSuccess(await call(root, 'UpdateAccessKey', { UserAccessKeyId: creds.accessKeyId, Status: 'Inactive' }));
      const inactive = await popError(call(user, 'ListInstances'));
      expect([inactive.code, inactive.status]).toEqual(['InvalidAccessKeyId.Inactive', 400]);

      expectSuccess(await call(root, 'UpdateAccessKey', { UserAccessKeyId: creds.accessKeyId, Status: 'Active', Policy: JSON.stringify({ Version: '1', Statement: [] }) }));
      const denied = await popError(call(user, 'CreateInstance', { InstanceName: uniqueName('rpc') }));
      expect([denied.code, denied.status]).toEqual(['Forbidden.RAM', 403]);

      expectSuccess(await call(root, 'DeleteAccessKey', { UserAccessKeyId: creds.accessKeyId }));
      const gone = await popError(call(user, 'ListInstances'));
      expect([gone.code, gone.status]).toEqual(['InvalidAccessKeyId.NotFound', 404]);
    });
  });

  describe('errors, each with its Code and HTTP status', () => {
    async function expectError(promise: Promise<unknown>, code: string, status: number): Promise<Body> {
      const failure = await popError(promise);
      expect({ code: failure.code, status: failure.status }).toEqual({ code, status });
      expect(failure.data).toEqual({ RequestId: expect.any(String), HostId: expect.any(String), Code: code, Message: expect.any(String), Recommend: expect.any(String) });
      return failure.data;
    }

    it('should refuse a wrong secret with SignatureDoesNotMatch and show the server\'s StringToSign', async () => {
      const data = await expectError(popClient(api, { accessKeyId: api.rootAccessKeyId, accessKeySecret: 'wrong' }).request('ListInstances', {}), 'SignatureDoesNotMatch', 400);
      expect(data.Message).toContain('GET&%2F&AccessKeyId%3D');
    });

    it('should refuse an unknown AccessKeyId', async () => {
      await expectError(popClient(api, { accessKeyId: 'LTAInobodyhasthiskey0', accessKeySecret: 'x' }).request('ListInstances', {}), 'InvalidAccessKeyId.NotFound', 404);
    });

    it('should refuse a disabled AccessKey', async () => {
      const created = await root.request<Body>('CreateAccessKey', {});
      await root.request('UpdateAccessKey', { UserAccessKeyId: created.AccessKeyId, Status: 'Inactive' });
      await expectError(popClient(api, { accessKeyId: created.AccessKeyId, accessKeySecret: created.AccessKeySecret }).request('ListInstances', {}), 'InvalidAccessKeyId.Inactive', 400);
    });

    it('should refuse a stale or malformed Timestamp', async () => {
      const stale = new Date(Date.now() - 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      await expectError(root.request('ListInstances', { Timestamp: stale }), 'InvalidTimeStamp.Expired', 400);
      const future = new Date(Date.now() + 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      await expectError(root.request('ListInstances', { Timestamp: future }, { method: 'POST' }), 'InvalidTimeStamp.Expired', 400);
      await expectError(root.request('ListInstances', { Timestamp: '2026-01-01 10:00:00' }), 'InvalidTimeStamp.Format', 400);
      const recent = new Date(Date.now() - 14 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      expect(await root.request<Body>('ListInstances', { Timestamp: recent })).toHaveProperty('Instances');
    });

    it('should refuse a replayed SignatureNonce, over GET and POST alike, but not the same nonce of another key', async () => {
      const nonce = `nonce-${Date.now()}-${Math.random()}`;
      await root.request('ListInstances', { SignatureNonce: nonce });
      await expectError(root.request('ListInstances', { SignatureNonce: nonce }), 'SignatureNonceUsed', 400);
      await expectError(root.request('ListInstances', { SignatureNonce: nonce }, { method: 'POST' }), 'SignatureNonceUsed', 400);
      const other = await root.request<Body>('CreateAccessKey', { Policy: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'mq:ListInstances', Resource: '*' }] }) });
      const otherClient = popClient(api, { accessKeyId: other.AccessKeyId, accessKeySecret: other.AccessKeySecret });
      expect(await otherClient.request<Body>('ListInstances', { SignatureNonce: nonce })).toHaveProperty('Instances');
    });

    it('should not burn a nonce on a request whose signature fails', async () => {
      const nonce = `nonce-${Date.now()}-${Math.random()}`;
      await expectError(popClient(api, { accessKeyId: api.rootAccessKeyId, accessKeySecret: 'wrong' }).request('ListInstances', { SignatureNonce: nonce }), 'SignatureDoesNotMatch', 400);
      expect(await root.request<Body>('ListInstances', { SignatureNonce: nonce })).toHaveProperty('Instances');
    });

    it('should refuse a missing parameter and a bad parameter', async () => {
      const { InstanceId } = await root.request<Body>('CreateInstance', { InstanceName: uniqueName('rpc') });
      const missing = await expectError(root.request('CreateGroupId', { InstanceId }), 'MissingParameter', 400);
      expect(missing.Message).toContain('GroupId');
      await expectError(root.request('CreateGroupId', { InstanceId, GroupId: 'bad' }, { method: 'POST' }), 'InvalidParameter.GroupId', 400);
      await expectError(root.request('CreateInstance', { InstanceName: uniqueName('rpc'), MaxGroups: 'many' }), 'InvalidParameter.MaxGroups', 400);
      await expectError(root.request('UpdateAccessKey', { UserAccessKeyId: 'LTAIx', Status: 'Sleeping' }), 'InvalidParameter.Status', 400);
      await expectError(root.request('CreateAccessKey', { Policy: '{not json' }), 'InvalidParameter.Policy', 400);
    });

    it('should report unknown resources with the reference\'s codes', async () => {
      await expectError(root.request('ListGroupId', { InstanceId: 'mqtt-000000000000' }), 'InstanceNotFound', 404);
      await expectError(root.request('DeleteAccessKey', { UserAccessKeyId: 'LTAInothere' }), 'AccessKeyNotFound', 404);
    });

    it('should refuse an unknown action and a wrong version', async () => {
      await expectError(root.request('NoSuchAction', {}), 'InvalidAction.NotFound', 404);
      await expectError(popClient(api, undefined, '2019-12-11').request('ListGroupId', { InstanceId: 'mqtt-000000000000' }), 'InvalidVersion', 400);
    });

    it('should accept Format in any case and refuse XML', async () => {
      expect(await root.request<Body>('ListInstances', { Format: 'json' })).toHaveProperty('Instances');
      await expectError(root.request('ListInstances', { Format: 'XML' }), 'InvalidFormat', 400);
    });

    it('should refuse the root key being disabled or deleted', async () => {
      await expectError(root.request('UpdateAccessKey', { UserAccessKeyId: api.rootAccessKeyId, Status: 'Inactive' }), 'Forbidden.RootAccessKey', 403);
      await expectError(root.request('DeleteAccessKey', { UserAccessKeyId: api.rootAccessKeyId }), 'Forbidden.RootAccessKey', 403);
    });
  });

  describe('RAM', () => {
    it('should let a key limited to one instance work there and get Forbidden.RAM everywhere else', async () => {
      const a = (await root.request<Body>('CreateInstance', { InstanceName: uniqueName('rpc-a') })).InstanceId as string;
      const b = (await root.request<Body>('CreateInstance', { InstanceName: uniqueName('rpc-b') })).InstanceId as string;
      const policy = {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: ['mq:*'], Resource: [`acs:mq:*:*:instance/${a}`, `acs:mq:*:*:groupId/${a}/*`, `acs:mq:*:*:topic/${a}/*`] }],
      };
      const key = await root.request<Body>('CreateAccessKey', { Policy: JSON.stringify(policy) });
      const limited = popClient(api, { accessKeyId: key.AccessKeyId, accessKeySecret: key.AccessKeySecret });

      await limited.request('CreateGroupId', { InstanceId: a, GroupId: 'GID_mine' }, { method: 'POST' });
      expect((await limited.request<Body>('ListGroupId', { InstanceId: a })).Data).toHaveLength(1);
      await limited.request('CreateTopic', { InstanceId: a, Topic: 'mine' });
      expect((await limited.request<Body>('ListInstances', {})).Instances.map((i: Body) => i.InstanceId)).toEqual([a]);

      for (const [action, params] of [
        ['CreateGroupId', { InstanceId: b, GroupId: 'GID_theirs' }],
        ['ListGroupId', { InstanceId: b }],
        ['DeleteGroupId', { InstanceId: b, GroupId: 'GID_theirs' }],
        ['CreateTopic', { InstanceId: b, Topic: 'theirs' }],
        ['ListTopic', { InstanceId: b }],
        ['UpdateInstance', { InstanceId: b, Remark: 'mine now' }],
        ['DeleteInstance', { InstanceId: b }],
        ['CreateInstance', { InstanceName: uniqueName('rpc') }],
        ['CreateAccessKey', {}],
      ] as const) {
        const failure = await popError(limited.request(action, params));
        expect({ action, code: failure.code, status: failure.status }).toEqual({ action, code: 'Forbidden.RAM', status: 403 });
      }
      // Lists are filtered rather than refused: the key sees no AccessKeys at all.
      expect((await limited.request<Body>('ListAccessKeys', {})).AccessKeys.AccessKey).toEqual([]);
    });
  });

  describe('protocol details', () => {
    it('should refuse a request without a signature with IncompleteSignature', async () => {
      const params = commonParams('ListInstances', rootOf(api));
      const res = await signedV1(api, 'GET', params, undefined);
      expect(res.status).toBe(400);
      expect(res.body.Code).toBe('IncompleteSignature');
      const noKey = await signedV1(api, 'GET', { Action: 'ListInstances', Version: '2020-04-20' }, undefined);
      expect([noKey.status, noKey.body.Code]).toEqual([400, 'IncompleteSignature']);
    });

    it('should accept a POST whose parameters are split between query and body', async () => {
      const params = commonParams('ListInstances', rootOf(api));
      const signed: Record<string, string> = { ...params, Signature: signV1('POST', params, api.rootAccessKeySecret) };
      const { Action, Version, ...rest } = signed;
      const res = await fetch(`${api.url}/?${new URLSearchParams({ Action, Version })}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(rest).toString(),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toHaveProperty('Instances');
    });

    it('should refuse a parameter given both in the query and in the body', async () => {
      const params = commonParams('ListInstances', rootOf(api));
      const res = await fetch(`${api.url}/?InstanceId=a`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...params, InstanceId: 'b' }).toString(),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Body).Code).toBe('InvalidParameter.InstanceId');
    });

    it('should answer with Alibaba\'s envelope and the request id header', async () => {
      const res = await signedV1(api, 'POST', commonParams('NoSuchAction', rootOf(api)), api.rootAccessKeySecret);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ RequestId: expect.any(String), HostId: expect.stringMatching(/^127\.0\.0\.1:\d+$/), Code: 'InvalidAction.NotFound', Message: expect.any(String), Recommend: expect.any(String) });
      expect(res.headers.get('x-request-id')).toBe(res.body.RequestId);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('should handle a repeat list (ClientIdList.N) and ignore unknown parameters like RegionId', async () => {
      const res = await signedV1(api, 'GET', commonParams('ListInstances', rootOf(api), { RegionId: 'cn-hangzhou', 'ClientIdList.1': 'x' }), api.rootAccessKeySecret);
      expect(res.status).toBe(200);
    });

    it('should serve the action catalogue', async () => {
      const res = await fetch(`${api.url}/rpc-actions.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Body;
      expect(doc.Actions.map((a: Body) => a.Action)).toContain('ListGroupId');
    });
  });
});

describe('wiring', () => {
  it('should serve the RPC face from the real API app (ApiModule imports RpcModule)', async () => {
    const api = await startApiApp();
    try {
      expect((await fetch(`${api.url}/rpc-actions.json`)).status).toBe(200);
      expect(await popClient(api).request<Record<string, unknown>>('ListInstances', {})).toHaveProperty('Instances');
    } finally {
      await api.close();
    }
  });
});
