import request from 'supertest';
import { ManualClock } from '../../../libs/common/src/clock.js';
import { basicAuth, startApiApp, uniqueName, type TestApi } from '../../../libs/testing/src/api-app.js';

describe('REST tokens and device credentials', () => {
  let api: TestApi;
  const clock = new ManualClock();
  const http = () => request(api.url);
  let iid: string;

  beforeAll(async () => {
    api = await startApiApp({}, { clock });
    const res = await http().post('/v1/instances').set('Authorization', api.rootAuth).send({ instanceName: uniqueName() }).expect(201);
    iid = res.body.instanceId;
    await http().post(`/v1/instances/${iid}/topics`).set('Authorization', api.rootAuth).send({ topic: 'sensors' }).expect(201);
    await http().post(`/v1/instances/${iid}/groups`).set('Authorization', api.rootAuth).send({ groupId: 'GID_dev' }).expect(201);
  });
  afterAll(() => api.close());

  const apply = (body: object) => http().post(`/v1/instances/${iid}/tokens`).set('Authorization', api.rootAuth).send(body);

  describe('tokens', () => {
    it('should apply, query and revoke a token', async () => {
      const res = await apply({ resources: ['sensors/#'], actions: 'R,W', expireTime: clock.now() + 3_600_000 }).expect(201);
      expect(res.body.type).toBe('RW');
      expect(res.body.token.length).toBeGreaterThanOrEqual(43); // 256 random bits
      const query = () => http().post(`/v1/instances/${iid}/tokens/query`).set('Authorization', api.rootAuth).send({ token: res.body.token });
      await query().expect(200, { valid: true });
      await http().post(`/v1/instances/${iid}/tokens/revoke`).set('Authorization', api.rootAuth).send({ token: res.body.token }).expect(204);
      await query().expect(200, { valid: false });
    });

    it('should expire tokens and cap validity at 30 days', async () => {
      const res = await apply({ resources: ['sensors'], actions: 'R', expireTime: clock.now() + 120_000 }).expect(201);
      const query = () => http().post(`/v1/instances/${iid}/tokens/query`).set('Authorization', api.rootAuth).send({ token: res.body.token });
      await query().expect(200, { valid: true });
      clock.advance(121_000);
      await query().expect(200, { valid: false });
      const far = await apply({ resources: ['sensors'], actions: 'W', expireTime: clock.now() + 90 * 24 * 3600 * 1000 }).expect(201);
      expect(far.body.expireTime).toBe(clock.now() + 30 * 24 * 3600 * 1000);
    });

    it('should validate every parameter', async () => {
      const soon = () => clock.now() + 3_600_000;
      const code = (r: request.Response) => r.body.code;
      expect(code(await apply({ actions: 'R', expireTime: soon() }))).toBe('MissingParameter');
      expect(code(await apply({ resources: ['other/#'], actions: 'R', expireTime: soon() }))).toBe('InvalidParameter.Resources');
      expect(code(await apply({ resources: ['sensors/#/x'], actions: 'R', expireTime: soon() }))).toBe('InvalidParameter.Resources');
      expect(code(await apply({ resources: ['+/x'], actions: 'R', expireTime: soon() }))).toBe('InvalidParameter.Resources');
      expect(code(await apply({ resources: Array.from({ length: 101 }, (_, i) => `sensors/${i}`), actions: 'R', expireTime: soon() }))).toBe('InvalidParameter.Resources');
      expect(code(await apply({ resources: ['sensors'], actions: 'X', expireTime: soon() }))).toBe('InvalidParameter.Actions');
      expect(code(await apply({ resources: ['sensors'], actions: 'R', expireTime: clock.now() + 10_000 }))).toBe('InvalidParameter.ExpireTime');
      expect(code(await apply({ resources: ['sensors'], actions: 'R', expireTime: 'soon' }))).toBe('InvalidParameter.ExpireTime');
      const revokeUnknown = await http().post(`/v1/instances/${iid}/tokens/revoke`).set('Authorization', api.rootAuth).send({ token: 'nope' }).expect(400);
      expect(revokeUnknown.body.code).toBe('InvalidParameter.Token');
    });

    it('should not let a token of one instance be queried in another', async () => {
      const other = await http().post('/v1/instances').set('Authorization', api.rootAuth).send({ instanceName: uniqueName() }).expect(201);
      const res = await apply({ resources: ['sensors'], actions: 'R', expireTime: clock.now() + 3_600_000 }).expect(201);
      await http().post(`/v1/instances/${other.body.instanceId}/tokens/query`).set('Authorization', api.rootAuth).send({ token: res.body.token }).expect(200, { valid: false });
    });

    it('should require mq:ApplyToken on the instance and on every resource', async () => {
      const key = await http()
        .post('/v1/access-keys')
        .set('Authorization', api.rootAuth)
        .send({ policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:ApplyToken'], Resource: [`acs:mq:*:*:instance/${iid}`, `acs:mq:*:*:topic/${iid}/sensors/public/*`] }] } })
        .expect(201);
      const auth = basicAuth(key.body.accessKeyId, key.body.accessKeySecret);
      const body = (resources: string[]) => ({ resources, actions: 'R', expireTime: clock.now() + 3_600_000 });
      await http().post(`/v1/instances/${iid}/tokens`).set('Authorization', auth).send(body(['sensors/public/a'])).expect(201);
      await http().post(`/v1/instances/${iid}/tokens`).set('Authorization', auth).send(body(['sensors/#'])).expect(403);
    });
  });

  describe('device credentials', () => {
    const base = () => `/v1/instances/${iid}/device-credentials`;

    it('should register, get, refresh, list and unregister', async () => {
      const reg = await http().put(`${base()}/GID_dev@@@d1`).set('Authorization', api.rootAuth).expect(200);
      expect(reg.body).toMatchObject({ clientId: 'GID_dev@@@d1', instanceId: iid });
      expect(reg.body.deviceAccessKeyId).toMatch(/^DC\./);
      expect(reg.body.deviceAccessKeySecret).toMatch(/^DC\./);
      const got = await http().get(`${base()}/GID_dev@@@d1`).set('Authorization', api.rootAuth).expect(200);
      expect(got.body.deviceAccessKeySecret).toBe(reg.body.deviceAccessKeySecret);
      const again = await http().put(`${base()}/GID_dev@@@d1`).set('Authorization', api.rootAuth).expect(200);
      expect(again.body.deviceAccessKeyId).not.toBe(reg.body.deviceAccessKeyId);
      const ref = await http().post(`${base()}/GID_dev@@@d1/refresh`).set('Authorization', api.rootAuth).expect(200);
      expect(ref.body.deviceAccessKeySecret).not.toBe(again.body.deviceAccessKeySecret);
      await http().put(`${base()}/GID_dev@@@d2`).set('Authorization', api.rootAuth).expect(200);
      const list = await http().get(`${base()}?groupId=GID_dev`).set('Authorization', api.rootAuth).expect(200);
      expect(list.body).toMatchObject({ total: 2, items: ['GID_dev@@@d1', 'GID_dev@@@d2'] });
      await http().delete(`${base()}/GID_dev@@@d1`).set('Authorization', api.rootAuth).expect(204);
      await http().get(`${base()}/GID_dev@@@d1`).set('Authorization', api.rootAuth).expect(404).expect((r) => expect(r.body.code).toBe('DeviceCredentialNotFound'));
    });

    it('should refuse malformed ClientIds and unknown groups', async () => {
      await http().put(`${base()}/nogroup`).set('Authorization', api.rootAuth).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.ClientId'));
      await http().put(`${base()}/GID_missing@@@d1`).set('Authorization', api.rootAuth).expect(404).expect((r) => expect(r.body.code).toBe('GroupIdNotFound'));
      await http().put('/v1/instances/mqtt-000000000000/device-credentials/GID_dev@@@d1').set('Authorization', api.rootAuth).expect(404);
    });
  });
});
