import request from 'supertest';
import { basicAuth, startApiApp, uniqueName, type TestApi } from '../../../libs/testing/src/api-app.js';

describe('REST /v1', () => {
  let api: TestApi;
  const http = () => request(api.url);

  beforeAll(async () => {
    api = await startApiApp();
  });
  afterAll(() => api.close());

  async function createInstance(name = uniqueName()): Promise<string> {
    const res = await http().post('/v1/instances').set('Authorization', api.rootAuth).send({ instanceName: name }).expect(201);
    return res.body.instanceId as string;
  }

  async function keyWithPolicy(policy: object | undefined): Promise<string> {
    const res = await http().post('/v1/access-keys').set('Authorization', api.rootAuth).send(policy ? { policy } : {}).expect(201);
    return basicAuth(res.body.accessKeyId, res.body.accessKeySecret);
  }

  describe('authentication', () => {
    it('should refuse a request without credentials', async () => {
      const res = await http().get('/v1/instances').expect(401);
      expect(res.body).toEqual({ code: 'IncompleteSignature', message: expect.any(String), requestId: expect.any(String) });
      expect(res.headers['www-authenticate']).toMatch(/Basic/);
      expect(res.headers['x-request-id']).toBe(res.body.requestId);
    });

    it('should refuse an unknown key, a wrong secret and a disabled key', async () => {
      await http().get('/v1/instances').set('Authorization', basicAuth('LTAInope', 'x')).expect(401).expect((r) => expect(r.body.code).toBe('InvalidAccessKeyId.NotFound'));
      await http().get('/v1/instances').set('Authorization', basicAuth(api.rootAccessKeyId, 'wrong')).expect(401).expect((r) => expect(r.body.code).toBe('SignatureDoesNotMatch'));
      const created = await http().post('/v1/access-keys').set('Authorization', api.rootAuth).send({}).expect(201);
      await http().patch(`/v1/access-keys/${created.body.accessKeyId}`).set('Authorization', api.rootAuth).send({ status: 'Inactive' }).expect(200);
      await http()
        .get('/v1/instances')
        .set('Authorization', basicAuth(created.body.accessKeyId, created.body.accessKeySecret))
        .expect(401)
        .expect((r) => expect(r.body.code).toBe('InvalidAccessKeyId.Inactive'));
    });

    it('should refuse a malformed Authorization header', async () => {
      await http().get('/v1/instances').set('Authorization', 'Bearer abc').expect(401);
      await http().get('/v1/instances').set('Authorization', `Basic ${Buffer.from('nocolon').toString('base64')}`).expect(401);
    });
  });

  describe('instances', () => {
    it('should create, get, list, update and delete an instance', async () => {
      const name = uniqueName('inst');
      const created = await http().post('/v1/instances').set('Authorization', api.rootAuth).send({ instanceName: name, remark: 'r1' }).expect(201);
      expect(created.body).toMatchObject({ instanceName: name, remark: 'r1', status: 'RUNNING' });
      expect(created.body.instanceId).toMatch(/^mqtt-[0-9a-z]{12}$/);
      expect(created.body.limits).toMatchObject({ maxPayloadBytes: 65536, maxSubscriptionsPerClient: 30 });
      expect(created.body.endpoints.tcp).toMatch(/^tcp:\/\//);
      const id = created.body.instanceId;
      await http().get(`/v1/instances/${id}`).set('Authorization', api.rootAuth).expect(200).expect((r) => expect(r.body.instanceName).toBe(name));
      const list = await http().get('/v1/instances?pageSize=100').set('Authorization', api.rootAuth).expect(200);
      expect(list.body.items.map((i: { instanceId: string }) => i.instanceId)).toContain(id);
      expect(list.body).toMatchObject({ pageNo: 1, pageSize: 100, total: expect.any(Number) });
      const upd = await http().patch(`/v1/instances/${id}`).set('Authorization', api.rootAuth).send({ remark: 'r2', limits: { maxConnections: 5 } }).expect(200);
      expect(upd.body).toMatchObject({ remark: 'r2', limits: { maxConnections: 5 } });
      await http().delete(`/v1/instances/${id}`).set('Authorization', api.rootAuth).expect(204);
      await http().get(`/v1/instances/${id}`).set('Authorization', api.rootAuth).expect(404).expect((r) => expect(r.body.code).toBe('InstanceNotFound'));
    });

    it('should reject bad input with stable codes', async () => {
      const post = (body: object) => http().post('/v1/instances').set('Authorization', api.rootAuth).send(body);
      await post({}).expect(400).expect((r) => expect(r.body.code).toBe('MissingParameter'));
      await post({ instanceName: 'ab' }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.InstanceName'));
      await post({ instanceName: 'bad name!' }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.InstanceName'));
      await post({ instanceName: 'x'.repeat(65) }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.InstanceName'));
      await post({ instanceName: 42 }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.InstanceName'));
      await post({ instanceName: uniqueName(), bogus: 1 }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.Bogus'));
      await post({ instanceName: uniqueName(), limits: { maxConnections: 0 } }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.MaxConnections'));
      await post({ instanceName: uniqueName(), remark: 'x'.repeat(257) }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.Remark'));
      await http().post('/v1/instances').set('Authorization', api.rootAuth).set('Content-Type', 'application/json').send('{not json').expect(400);
      await http().get('/v1/instances?pageSize=1000').set('Authorization', api.rootAuth).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.PageSize'));
      await http().get('/v1/instances?pageNo=abc').set('Authorization', api.rootAuth).expect(400);
    });

    it('should refuse a duplicate name, case-insensitively', async () => {
      const name = uniqueName('dup');
      await createInstance(name);
      await http()
        .post('/v1/instances')
        .set('Authorization', api.rootAuth)
        .send({ instanceName: name.toUpperCase() })
        .expect(409)
        .expect((r) => expect(r.body.code).toBe('InstanceName.AlreadyExists'));
    });

    it('should answer 404 for unknown ids and routes', async () => {
      await http().get('/v1/instances/mqtt-000000000000').set('Authorization', api.rootAuth).expect(404);
      await http().get('/v1/instances/not-an-id').set('Authorization', api.rootAuth).expect(404);
      await http().get('/v1/nowhere').expect(404).expect((r) => expect(r.body.code).toBe('NotFound'));
    });
  });

  describe('topics and groups', () => {
    it('should manage parent topics in an instance', async () => {
      const id = await createInstance();
      const base = `/v1/instances/${id}/topics`;
      await http().post(base).set('Authorization', api.rootAuth).send({ topic: 'sensors', remark: 'temp' }).expect(201);
      await http().post(base).set('Authorization', api.rootAuth).send({ topic: 'sensors' }).expect(409).expect((r) => expect(r.body.code).toBe('Topic.AlreadyExists'));
      await http().post(base).set('Authorization', api.rootAuth).send({ topic: 'a/b' }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.Topic'));
      await http().post(base).set('Authorization', api.rootAuth).send({}).expect(400).expect((r) => expect(r.body.code).toBe('MissingParameter'));
      await http().patch(`${base}/sensors`).set('Authorization', api.rootAuth).send({ remark: 'hum' }).expect(200).expect((r) => expect(r.body.remark).toBe('hum'));
      const list = await http().get(base).set('Authorization', api.rootAuth).expect(200);
      expect(list.body.items).toEqual([expect.objectContaining({ topic: 'sensors', remark: 'hum', instanceId: id })]);
      await http().delete(`${base}/sensors`).set('Authorization', api.rootAuth).expect(204);
      await http().delete(`${base}/sensors`).set('Authorization', api.rootAuth).expect(404).expect((r) => expect(r.body.code).toBe('TopicNotFound'));
      await http().post('/v1/instances/mqtt-000000000000/topics').set('Authorization', api.rootAuth).send({ topic: 'abc' }).expect(404);
    });

    it('should enforce the parent-topic quota of the instance', async () => {
      const res = await http().post('/v1/instances').set('Authorization', api.rootAuth).send({ instanceName: uniqueName(), limits: { maxParentTopics: 1 } }).expect(201);
      const base = `/v1/instances/${res.body.instanceId}/topics`;
      await http().post(base).set('Authorization', api.rootAuth).send({ topic: 'one' }).expect(201);
      await http().post(base).set('Authorization', api.rootAuth).send({ topic: 'two' }).expect(400).expect((r) => expect(r.body.code).toBe('Quota.Exceeded'));
    });

    it('should manage groups with Alibaba naming rules', async () => {
      const id = await createInstance();
      const base = `/v1/instances/${id}/groups`;
      await http().post(base).set('Authorization', api.rootAuth).send({ groupId: 'GID_devices' }).expect(201);
      await http().post(base).set('Authorization', api.rootAuth).send({ groupId: 'GID_devices' }).expect(409).expect((r) => expect(r.body.code).toBe('GroupIdAlreadyExsited'));
      await http().post(base).set('Authorization', api.rootAuth).send({ groupId: 'devices' }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.GroupId'));
      await http().post(base).set('Authorization', api.rootAuth).send({ groupId: 'GID_' }).expect(400);
      await http().get(`${base}/GID_devices`).set('Authorization', api.rootAuth).expect(200).expect((r) => expect(r.body.independentNaming).toBe(true));
      await http().delete(`${base}/GID_devices`).set('Authorization', api.rootAuth).expect(204);
      await http().get(`${base}/GID_devices`).set('Authorization', api.rootAuth).expect(404).expect((r) => expect(r.body.code).toBe('GroupIdNotFound'));
    });

    it('should delete everything in an instance with it', async () => {
      const id = await createInstance();
      await http().post(`/v1/instances/${id}/groups`).set('Authorization', api.rootAuth).send({ groupId: 'GID_gone' }).expect(201);
      await http().delete(`/v1/instances/${id}`).set('Authorization', api.rootAuth).expect(204);
      const again = await http().post('/v1/instances').set('Authorization', api.rootAuth).send({ instanceName: uniqueName() }).expect(201);
      await http().get(`/v1/instances/${again.body.instanceId}/groups`).set('Authorization', api.rootAuth).expect(200).expect((r) => expect(r.body.total).toBe(0));
      await http().get(`/v1/instances/${id}/groups`).set('Authorization', api.rootAuth).expect(404);
    });
  });

  describe('access keys and RAM', () => {
    it('should show the secret once and never list it', async () => {
      const created = await http().post('/v1/access-keys').set('Authorization', api.rootAuth).send({ remark: 'ci' }).expect(201);
      expect(created.body.accessKeySecret).toHaveLength(30);
      const got = await http().get(`/v1/access-keys/${created.body.accessKeyId}`).set('Authorization', api.rootAuth).expect(200);
      expect(got.body.accessKeySecret).toBeUndefined();
      const list = await http().get('/v1/access-keys?pageSize=100').set('Authorization', api.rootAuth).expect(200);
      expect(JSON.stringify(list.body)).not.toContain(created.body.accessKeySecret);
    });

    it('should let a key without a policy do nothing', async () => {
      const auth = await keyWithPolicy(undefined);
      await http().post('/v1/instances').set('Authorization', auth).send({ instanceName: uniqueName() }).expect(403).expect((r) => expect(r.body.code).toBe('Forbidden.RAM'));
      const list = await http().get('/v1/instances').set('Authorization', auth).expect(200);
      expect(list.body.total).toBe(0);
    });

    it('should confine a key to the instance its policy names', async () => {
      const a = await createInstance();
      const b = await createInstance();
      const auth = await keyWithPolicy({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:*'], Resource: [`acs:mq:*:*:*/${a}`, `acs:mq:*:*:*/${a}/*`] }] });
      await http().post(`/v1/instances/${a}/groups`).set('Authorization', auth).send({ groupId: 'GID_mine' }).expect(201);
      await http().post(`/v1/instances/${b}/groups`).set('Authorization', auth).send({ groupId: 'GID_theirs' }).expect(403).expect((r) => expect(r.body.code).toBe('Forbidden.RAM'));
      await http().get(`/v1/instances/${b}`).set('Authorization', auth).expect(403);
      await http().delete(`/v1/instances/${b}`).set('Authorization', auth).expect(403);
      const list = await http().get('/v1/instances?pageSize=100').set('Authorization', auth).expect(200);
      expect(list.body.items.map((i: { instanceId: string }) => i.instanceId)).toEqual([a]);
    });

    it('should apply an explicit Deny over an Allow', async () => {
      const a = await createInstance();
      const auth = await keyWithPolicy({
        Version: '1',
        Statement: [
          { Effect: 'Allow', Action: ['mq:*'], Resource: ['*'] },
          { Effect: 'Deny', Action: ['mq:DeleteInstance'], Resource: [`acs:mq:*:*:instance/${a}`] },
        ],
      });
      await http().delete(`/v1/instances/${a}`).set('Authorization', auth).expect(403);
      await http().get(`/v1/instances/${a}`).set('Authorization', auth).expect(200);
    });

    it('should validate policies and statuses', async () => {
      const post = (body: object) => http().post('/v1/access-keys').set('Authorization', api.rootAuth).send(body);
      await post({ policy: { Version: '2', Statement: [] } }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.Policy'));
      await post({ policy: 'not-an-object' }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.Policy'));
      const created = await post({}).expect(201);
      await http().patch(`/v1/access-keys/${created.body.accessKeyId}`).set('Authorization', api.rootAuth).send({ status: 'Sleeping' }).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.Status'));
      await http().patch('/v1/access-keys/LTAInope').set('Authorization', api.rootAuth).send({ status: 'Active' }).expect(404).expect((r) => expect(r.body.code).toBe('AccessKeyNotFound'));
    });

    it('should protect the root key', async () => {
      await http().delete(`/v1/access-keys/${api.rootAccessKeyId}`).set('Authorization', api.rootAuth).expect(403).expect((r) => expect(r.body.code).toBe('Forbidden.RootAccessKey'));
      await http().patch(`/v1/access-keys/${api.rootAccessKeyId}`).set('Authorization', api.rootAuth).send({ status: 'Inactive' }).expect(403);
      await http().get('/v1/instances').set('Authorization', api.rootAuth).expect(200);
    });

    it('should let a deleted key do nothing more', async () => {
      const created = await http().post('/v1/access-keys').set('Authorization', api.rootAuth).send({ policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }).expect(201);
      const auth = basicAuth(created.body.accessKeyId, created.body.accessKeySecret);
      await http().get('/v1/instances').set('Authorization', auth).expect(200);
      await http().delete(`/v1/access-keys/${created.body.accessKeyId}`).set('Authorization', api.rootAuth).expect(204);
      await http().get('/v1/instances').set('Authorization', auth).expect(401);
    });
  });

  describe('every instance-scoped endpoint', () => {
    it('should refuse a key confined to instance A on every resource of instance B', async () => {
      const a = await createInstance();
      const b = await createInstance();
      await http().post(`/v1/instances/${b}/topics`).set('Authorization', api.rootAuth).send({ topic: 'sensors' }).expect(201);
      const auth = await keyWithPolicy({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:*'], Resource: [`acs:mq:*:*:*/${a}`, `acs:mq:*:*:*/${a}/*`] }] });
      const calls: [string, string, object?][] = [
        ['get', `/v1/instances/${b}`],
        ['patch', `/v1/instances/${b}`, { remark: 'x' }],
        ['get', `/v1/instances/${b}/topics`],
        ['post', `/v1/instances/${b}/topics`, { topic: 'other' }],
        ['patch', `/v1/instances/${b}/topics/sensors`, { remark: 'x' }],
        ['delete', `/v1/instances/${b}/topics/sensors`],
        ['get', `/v1/instances/${b}/groups`],
        ['post', `/v1/instances/${b}/tokens`, { resources: ['sensors/#'], actions: 'R', expireTime: Date.now() + 3_600_000 }],
        ['post', `/v1/instances/${b}/tokens/query`, { token: 'x' }],
        ['put', `/v1/instances/${b}/device-credentials/GID_abc@@@d1`],
        ['get', `/v1/instances/${b}/device-credentials`],
        ['post', `/v1/instances/${b}/messages`, { topic: 'sensors/x', payload: 'x' }],
        ['get', `/v1/instances/${b}/sessions/GID_abc@@@d1`],
        ['post', `/v1/instances/${b}/sessions/GID_abc@@@d1/close`],
      ];
      for (const [method, path, body] of calls) {
        const req = (http() as unknown as Record<string, (p: string) => request.Test>)[method]!(path).set('Authorization', auth);
        const res = await (body ? req.send(body) : req);
        expect([method, path, res.status, res.body.code]).toEqual([method, path, 403, 'Forbidden.RAM']);
      }
      // …while the same key works in its own instance.
      await http().post(`/v1/instances/${a}/topics`).set('Authorization', auth).send({ topic: 'mine' }).expect(201);
    });

    it('should refuse an oversize body cleanly', async () => {
      const res = await http().post('/v1/instances').set('Authorization', api.rootAuth).send({ instanceName: 'x', remark: 'y'.repeat(2 * 1024 * 1024) });
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('PayloadTooLarge');
      await http().get('/healthz').expect(200);
    });
  });
});
