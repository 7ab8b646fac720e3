import pg from 'pg';
import request from 'supertest';
import { startApiApp, uniqueName, type TestApi } from '../../../libs/testing/src/api-app.js';

/** Session rows as broker workers leave them, read back through REST: liveness follows the worker's heartbeat. */
describe('REST sessions', () => {
  let api: TestApi;
  let db: pg.Client;
  let iid: string;

  beforeAll(async () => {
    api = await startApiApp();
    db = new pg.Client({ connectionString: api.config.databaseUrl });
    await db.connect();
    const res = await request(api.url).post('/v1/instances').set('Authorization', api.rootAuth).send({ instanceName: uniqueName() }).expect(201);
    iid = res.body.instanceId;
  });
  afterAll(async () => {
    await db.end();
    await api.close();
  });

  async function session(clientId: string, node: string, heartbeatAgeSeconds: number): Promise<void> {
    await db.query(`INSERT INTO broker_nodes (node_id, started_at, last_seen_at) VALUES ($1, now(), now() - make_interval(secs => $2)) ON CONFLICT (node_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at`, [node, heartbeatAgeSeconds]);
    await db.query(
      `INSERT INTO mqtt_sessions (instance_id, client_id, online, channel_id, client_ip, node_id, connected_at, subscriptions, updated_at)
       VALUES ($1, $2, true, 'CH1', '10.0.0.1:5000', $3, now(), '["a/#"]', now())`,
      [iid, clientId, node],
    );
  }

  it('should report a session online while its worker is alive, and offline once its heartbeat is stale', async () => {
    await session('GID_abc@@@live', `node-live-${iid}`, 0);
    await session('GID_abc@@@dead', `node-dead-${iid}`, 60);
    const live = await request(api.url).get(`/v1/instances/${iid}/sessions/GID_abc@@@live`).set('Authorization', api.rootAuth).expect(200);
    expect(live.body).toMatchObject({ online: true, clientIp: '10.0.0.1:5000', channelId: 'CH1', subscriptions: ['a/#'] });
    const dead = await request(api.url).get(`/v1/instances/${iid}/sessions/GID_abc@@@dead`).set('Authorization', api.rootAuth).expect(200);
    expect(dead.body).toMatchObject({ online: false, subscriptions: [] });
    const batch = await request(api.url).get(`/v1/instances/${iid}/sessions?clientIds=GID_abc@@@live,GID_abc@@@dead,GID_abc@@@never`).set('Authorization', api.rootAuth).expect(200);
    expect(batch.body).toEqual([
      { clientId: 'GID_abc@@@live', online: true },
      { clientId: 'GID_abc@@@dead', online: false },
      { clientId: 'GID_abc@@@never', online: false },
    ]);
  });

  it('should validate ClientIds and the instance', async () => {
    await request(api.url).get(`/v1/instances/${iid}/sessions/bad`).set('Authorization', api.rootAuth).expect(400).expect((r) => expect(r.body.code).toBe('InvalidParameter.ClientId'));
    await request(api.url).get(`/v1/instances/${iid}/sessions`).set('Authorization', api.rootAuth).expect(400);
    await request(api.url).get('/v1/instances/mqtt-000000000000/sessions/GID_abc@@@x').set('Authorization', api.rootAuth).expect(404);
    await request(api.url).post(`/v1/instances/${iid}/sessions/GID_abc@@@x/close`).set('Authorization', api.rootAuth).expect(204);
  });
});
