import { connectAsync } from 'mqtt';
import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import type { SessionEvent } from '../src/sessions/session-registry.js';
import { BrokerFixture, closed, inbox, sleep, waitFor, type Tenant } from './broker-fixture.js';

describe('broker live configuration, sessions and transports', () => {
  let f: BrokerFixture;

  beforeAll(async () => {
    f = await BrokerFixture.start();
  });

  afterAll(async () => {
    await f.stop();
  });

  /** Applies `change` in the database and returns how long the connection took to be closed. */
  async function timeToDisconnect(t: Tenant, clientId: string, change: () => Promise<unknown>, setup?: (c: Awaited<ReturnType<BrokerFixture['connect']>>) => Promise<void>): Promise<number> {
    const c = await f.connect(t, clientId);
    await setup?.(c);
    const start = Date.now();
    await change();
    await closed(c);
    return Date.now() - start;
  }

  it('should disconnect within 1 s when the AccessKey is disabled, and refuse it afterwards', async () => {
    const t = await f.tenant(['T1']);
    const ms = await timeToDisconnect(t, 'GID_dev@@@ak', () => f.ds.query(`UPDATE access_keys SET status = 'Inactive' WHERE id = $1`, [t.key.id]));
    expect(ms).toBeLessThan(1000);
    await expect(f.connect(t, 'GID_dev@@@ak')).rejects.toThrow();
  });

  it('should disconnect within 1 s when the AccessKey is deleted or its secret rotated', async () => {
    const t = await f.tenant(['T1']);
    expect(await timeToDisconnect(t, 'GID_dev@@@rot', () => f.ds.query(`UPDATE access_keys SET secret_sealed = $1 WHERE id = $2`, [f.box.seal('another-secret-value'), t.key.id]))).toBeLessThan(1000);
    const t2 = await f.tenant(['T1']);
    expect(await timeToDisconnect(t2, 'GID_dev@@@del', () => f.ds.query(`DELETE FROM access_keys WHERE id = $1`, [t2.key.id]))).toBeLessThan(1000);
  });

  it('should disconnect within 1 s when the group, a subscribed parent topic or the instance is deleted', async () => {
    const t = await f.tenant(['T1', 'T2']);
    await f.group(t.instanceId, 'GID_other');
    await f.synced();
    // deleting T2 spares a client subscribed to T1 only
    const spared = await f.connect(t, 'GID_dev@@@spared');
    await spared.subscribeAsync('T1/#');
    expect(
      await timeToDisconnect(t, 'GID_dev@@@topic', () => f.ds.query(`DELETE FROM parent_topics WHERE instance_id = $1 AND topic = 'T2'`, [t.instanceId]), async (c) => {
        await c.subscribeAsync('T2/#');
      }),
    ).toBeLessThan(1000);
    await sleep(100);
    expect(spared.connected).toBe(true);
    expect(await timeToDisconnect({ ...t, group: 'GID_other' }, 'GID_other@@@grp', () => f.ds.query(`DELETE FROM mqtt_groups WHERE instance_id = $1 AND group_id = 'GID_other'`, [t.instanceId]))).toBeLessThan(1000);
    expect(spared.connected).toBe(true);
    const start = Date.now();
    await f.ds.query(`DELETE FROM instances WHERE id = $1`, [t.instanceId]);
    await closed(spared);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('should stop publishes a policy change no longer allows, within 1 s', async () => {
    const t = await f.tenant(['T1', 'T2']);
    const policy = (topics: string[]) => ({ Version: '1', Statement: [{ Effect: 'Allow' as const, Action: ['mq:PUB', 'mq:SUB'], Resource: topics.map((x) => `acs:mq:*:*:topic/${t.instanceId}/${x}`) }] });
    const key = await f.accessKey({ policy: policy(['T1', 'T2']) });
    await f.synced();
    const u = { ...t, key };
    const c = await f.connect(u, 'GID_dev@@@pol');
    await c.publishAsync('T2/x', 'allowed', { qos: 1 });
    await f.ds.query(`UPDATE access_keys SET policy = $1 WHERE id = $2`, [JSON.stringify(policy(['T1'])), key.id]);
    const start = Date.now();
    // poll: the first publish after the change reaches the broker closes the connection
    while (c.connected && Date.now() - start < 1000) {
      c.publish('T2/x', 'now-denied', { qos: 0 });
      await sleep(20);
    }
    await closed(c);
    expect(Date.now() - start).toBeLessThan(1000);
    // T1 still works for a new connection
    const again = await f.connect(u, 'GID_dev@@@pol');
    await again.publishAsync('T1/x', 'fine', { qos: 1 });
    expect(again.connected).toBe(true);
    again.end(true);
  });

  it('should emit connect / disconnect / tcpclean events, keep the online registry and write mqtt_sessions', async () => {
    const t = await f.tenant(['T1']);
    const events: SessionEvent[] = [];
    const onEvent = (e: SessionEvent): void => {
      if (e.instanceId === t.instanceId) events.push(e);
    };
    f.running.events.on('session', onEvent);
    const a = await f.connect(t, 'GID_dev@@@ev');
    await a.subscribeAsync('T1/ev/#');
    await waitFor(() => events.length === 1);
    expect(f.running.online(t.instanceId)).toEqual([expect.objectContaining({ clientId: 'GID_dev@@@ev', clientIp: '127.0.0.1', subscriptions: ['T1/ev/#'], mode: 'Signature' })]);
    await a.endAsync(); // DISCONNECT
    await waitFor(() => events.length === 2);
    const b = await f.connect(t, 'GID_dev@@@ev');
    await waitFor(() => events.length === 3);
    b.stream.destroy(); // no DISCONNECT
    await waitFor(() => events.length === 4);
    expect(events.map((e) => e.eventType)).toEqual(['connect', 'disconnect', 'connect', 'tcpclean']);
    expect(events[0]).toEqual({ instanceId: t.instanceId, clientId: 'GID_dev@@@ev', channelId: expect.any(String), clientIp: '127.0.0.1', eventType: 'connect', time: expect.any(Number) });
    expect(events[0]!.channelId).toBe(events[1]!.channelId);
    expect(events[2]!.channelId).not.toBe(events[0]!.channelId);
    await waitFor(() => f.running.online(t.instanceId).length === 0);
    f.running.events.off('session', onEvent);
    // the session table follows within a flush interval
    const c = await f.connect(t, 'GID_dev@@@row');
    await c.subscribeAsync('T1/row');
    await sleep(400);
    const rows = await f.ds.query(`SELECT client_id, online, channel_id, client_ip, subscriptions, disconnected_at FROM mqtt_sessions WHERE instance_id = $1 ORDER BY client_id`, [t.instanceId]);
    expect(rows).toEqual([
      expect.objectContaining({ client_id: 'GID_dev@@@ev', online: false, channel_id: events[3]!.channelId, disconnected_at: expect.any(Date) }),
      expect.objectContaining({ client_id: 'GID_dev@@@row', online: true, client_ip: '127.0.0.1', subscriptions: ['T1/row'], disconnected_at: null }),
    ]);
    c.end(true);
  });

  it('should let a duplicate ClientId win over the old connection, and report the conflict', async () => {
    const t = await f.tenant(['T1']);
    const conflicts: unknown[] = [];
    f.running.events.on('clientIdConflict', (e) => conflicts.push(e));
    const old = await f.connect(t, 'GID_dev@@@dup');
    const got = inbox(old);
    const fresh = await f.connect(t, 'GID_dev@@@dup');
    await closed(old);
    expect(conflicts).toEqual([expect.objectContaining({ instanceId: t.instanceId, clientId: 'GID_dev@@@dup' })]);
    const gotFresh = inbox(fresh);
    await fresh.subscribeAsync('T1/#', { qos: 1 });
    const pub = await f.connect(t, 'GID_dev@@@dup-pub');
    await pub.publishAsync('T1/x', 'to-fresh', { qos: 1 });
    await waitFor(() => gotFresh.length === 1);
    expect(got).toEqual([]);
    await sleep(400);
    const rows = await f.ds.query(`SELECT online FROM mqtt_sessions WHERE instance_id = $1 AND client_id = 'GID_dev@@@dup'`, [t.instanceId]);
    expect(rows).toEqual([{ online: true }]);
    fresh.end(true);
    pub.end(true);
  });

  it('should serve MQTT over WebSocket at /mqtt', async () => {
    const t = await f.tenant(['T1']);
    const cid = 'GID_dev@@@ws';
    const ws = await connectAsync(`ws://127.0.0.1:${f.running.ports.ws}/mqtt`, {
      clientId: cid,
      username: `Signature|${t.key.id}|${t.instanceId}`,
      password: hmacSha1Base64(t.key.secret, cid),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const got = inbox(ws);
    await ws.subscribeAsync('T1/ws', { qos: 1 });
    const tcp = await f.connect(t, 'GID_dev@@@tcp');
    await tcp.publishAsync('T1/ws', 'over-ws', { qos: 1 });
    await waitFor(() => got.length === 1);
    expect(got[0]).toMatchObject({ topic: 'T1/ws', payload: 'over-ws' });
    expect(f.running.online(t.instanceId).find((s) => s.clientId === cid)?.clientIp).toBe('127.0.0.1');
    ws.end(true);
    tcp.end(true);
  });
});

describe('broker configuration index resilience', () => {
  let f: BrokerFixture;

  beforeAll(async () => {
    f = await BrokerFixture.start();
  });

  afterAll(async () => {
    await f.stop();
  });

  it('should reconnect its LISTEN connection, reload, and apply later changes', async () => {
    const t = await f.tenant(['T1']);
    const pid = await f.running.index.listenerPid();
    expect(pid).toEqual(expect.any(Number));
    await f.ds.query('SELECT pg_terminate_backend($1)', [pid]);
    // made while the listener is down: only the reload after reconnecting can pick it up
    await f.group(t.instanceId, 'GID_missed');
    await waitFor(() => f.running.index.hasGroup(t.instanceId, 'GID_missed'), 5000);
    const newPid = await f.running.index.listenerPid();
    expect(newPid).not.toBe(pid);
    await f.group(t.instanceId, 'GID_after');
    await waitFor(() => f.running.index.hasGroup(t.instanceId, 'GID_after'), 1000);
  });
});
