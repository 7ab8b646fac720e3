/**
 * The OnsMqtt runtime actions over the RPC face with Alibaba's own pop-core client: tokens, device
 * credentials, SendMessage and CloseConnection (their effect on live devices is tested in apps/broker).
 */
import type RPCClient from '@alicloud/pop-core';
import pg from 'pg';
import { uniqueName, type TestApi } from '../../../libs/testing/src/api-app.js';
import { testDatabaseUrl } from '../../../libs/testing/src/database.js';
import { popClient, popError, startRpcApi } from './rpc-helpers.js';

type Body = Record<string, any>;

describe('RPC runtime actions with @alicloud/pop-core', () => {
  let api: TestApi;
  let root: RPCClient;
  let InstanceId: string;
  const call = (action: string, params: Record<string, unknown>, method: 'GET' | 'POST' = 'POST') => root.request<Body>(action, params, { method });

  beforeAll(async () => {
    api = await startRpcApi();
    root = popClient(api);
    ({ InstanceId } = await call('CreateInstance', { InstanceName: uniqueName('rt') }));
    await call('CreateTopic', { InstanceId, Topic: 'sensors' });
    await call('CreateGroupId', { InstanceId, GroupId: 'GID_dev' });
  });
  afterAll(() => api.close());

  it.each(['GET', 'POST'] as const)('should apply, query and revoke a token over %s', async (method) => {
    const applied = await call('ApplyToken', { InstanceId, Resources: 'sensors/#,sensors/a', Actions: 'R,W', ExpireTime: Date.now() + 3_600_000 }, method);
    expect(Object.keys(applied).sort()).toEqual(['RequestId', 'Token']);
    expect((await call('QueryToken', { InstanceId, Token: applied.Token }, method)).TokenStatus).toBe(true);
    expect(Object.keys(await call('RevokeToken', { InstanceId, Token: applied.Token }, method))).toEqual(['RequestId']);
    expect((await call('QueryToken', { InstanceId, Token: applied.Token }, method)).TokenStatus).toBe(false);
  });

  it('should refuse bad token parameters with the reference codes', async () => {
    const base = { InstanceId, Resources: 'sensors/#', Actions: 'R', ExpireTime: Date.now() + 3_600_000 };
    const { Resources: _omitted, ...withoutResources } = base;
    expect((await popError(call('ApplyToken', withoutResources))).code).toBe('MissingParameter');
    expect((await popError(call('ApplyToken', { ...base, Actions: 'RW' }))).code).toBe('InvalidParameter.Actions');
    expect((await popError(call('ApplyToken', { ...base, ExpireTime: 'tomorrow' }))).code).toBe('InvalidParameter.ExpireTime');
    expect((await popError(call('ApplyToken', { ...base, ExpireTime: Date.now() }))).code).toBe('InvalidParameter.ExpireTime');
    expect((await popError(call('ApplyToken', { ...base, Resources: 'nope/#' }))).code).toBe('InvalidParameter.Resources');
    const notFound = await popError(call('ApplyToken', { ...base, InstanceId: 'mqtt-000000000000' }));
    expect(notFound).toMatchObject({ code: 'InstanceNotFound', status: 404 });
  });

  it('should register, get, refresh, list and unregister device credentials with Alibaba\'s fields', async () => {
    const reg = await call('RegisterDeviceCredential', { InstanceId, ClientId: 'GID_dev@@@0001' });
    expect(Object.keys(reg.DeviceCredential).sort()).toEqual(['ClientId', 'CreateTime', 'DeviceAccessKeyId', 'DeviceAccessKeySecret', 'InstanceId', 'UpdateTime']);
    expect(reg.DeviceCredential).toMatchObject({ ClientId: 'GID_dev@@@0001', InstanceId, DeviceAccessKeyId: expect.stringMatching(/^DC\./) });
    expect(typeof reg.DeviceCredential.CreateTime).toBe('number');
    const got = await call('GetDeviceCredential', { InstanceId, ClientId: 'GID_dev@@@0001' }, 'GET');
    expect(got.DeviceCredential.DeviceAccessKeySecret).toBe(reg.DeviceCredential.DeviceAccessKeySecret);
    const refreshed = await call('RefreshDeviceCredential', { InstanceId, ClientId: 'GID_dev@@@0001' });
    expect(refreshed.DeviceCredential.DeviceAccessKeyId).not.toBe(reg.DeviceCredential.DeviceAccessKeyId);
    const list = await call('ListDeviceCredentialClientId', { InstanceId, GroupId: 'GID_dev', PageNo: 1, PageSize: 10 });
    expect(list.DeviceCredentialClientIdList).toEqual({ ClientIdList: ['GID_dev@@@0001'], NextToken: '', PageNo: '1', PageSize: '10', Total: '1' });
    expect(Object.keys(await call('UnRegisterDeviceCredential', { InstanceId, ClientId: 'GID_dev@@@0001' }))).toEqual(['RequestId']);
    expect(await popError(call('GetDeviceCredential', { InstanceId, ClientId: 'GID_dev@@@0001' }))).toMatchObject({ code: 'DeviceCredentialNotFound', status: 404 });
    expect((await popError(call('RegisterDeviceCredential', { InstanceId, ClientId: 'not-a-client-id' }))).code).toBe('InvalidParameter.ClientId');
    expect((await popError(call('ListDeviceCredentialClientId', { InstanceId, PageSize: 500 }))).code).toBe('InvalidParameter.PageSize');
  });

  it('should queue SendMessage for the broker with a 32-hex MsgId and validate it', async () => {
    const sent = await call('SendMessage', { InstanceId, MqttTopic: 'sensors/p2p/GID_dev@@@0001', Payload: 'on' });
    expect(sent.MsgId).toMatch(/^[0-9A-F]{32}$/);
    const db = new pg.Client({ connectionString: await testDatabaseUrl() });
    await db.connect();
    try {
      const rows = await db.query(`SELECT type, topic, convert_from(payload, 'UTF8') AS payload, qos FROM broker_commands WHERE msg_id = $1`, [sent.MsgId]);
      // A broker may already have claimed it (another test file's); when still queued it must be exact.
      for (const row of rows.rows) expect(row).toEqual({ type: 'publish', topic: 'sensors/p2p/GID_dev@@@0001', payload: 'on', qos: 1 });
    } finally {
      await db.end();
    }
    expect((await popError(call('SendMessage', { InstanceId, MqttTopic: 'sensors/#', Payload: 'x' }))).code).toBe('InvalidParameter.MqttTopic');
    expect((await popError(call('SendMessage', { InstanceId, MqttTopic: 'other/x', Payload: 'x' }))).code).toBe('InvalidParameter.MqttTopic');
    expect((await popError(call('SendMessage', { InstanceId, MqttTopic: 'sensors/x', Payload: 'x'.repeat(65 * 1024) }))).code).toBe('InvalidParameter.Payload');
    expect((await popError(call('SendMessage', { InstanceId, MqttTopic: 'sensors/x' }))).code).toBe('MissingParameter');
  });

  it('should accept CloseConnection with the later generation\'s Code 200 envelope', async () => {
    const res = await call('CloseConnection', { InstanceId, ClientId: 'GID_dev@@@0001' });
    expect(res).toMatchObject({ Code: 200, Success: true });
    expect((await popError(call('CloseConnection', { InstanceId, ClientId: 'bad' }))).code).toBe('InvalidParameter.ClientId');
  });
});
