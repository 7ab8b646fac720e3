/**
 * Token mode and device credentials on live connections, through the real control plane: Alibaba's
 * pop-core client applies / revokes tokens and manages device credentials, mqtt.js devices connect as the
 * Alibaba demos do. A ManualClock shared by the API and the broker makes expiry testable without sleeping.
 */
import RPCClient from '@alicloud/pop-core';
import { connect as mqttConnect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { ManualClock } from '../../../libs/common/src/clock.js';
import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import { uniqueName } from '../../../libs/testing/src/api-app.js';
import { startSystem, type TestSystem } from '../../../libs/testing/src/system.js';
import { startBrokerApp } from '../src/start.js';
import { closed, connackCode, sleep, subscribeGranted, waitFor } from './broker-fixture.js';

type Body = Record<string, any>;
type Msg = { topic: string; payload: string };

const HOUR = 3600_000;

describe('Token mode through the real control plane', () => {
  let sys: TestSystem;
  let clock: ManualClock;
  let pop: RPCClient;
  let InstanceId: string;
  let other: string; // a second instance
  const open: MqttClient[] = [];
  const call = (action: string, params: Record<string, unknown>, client = pop) => client.request<Body>(action, params, { method: 'POST' });

  async function apply(resources: string[], actions: 'R' | 'W' | 'R,W', o: { ttlMs?: number; instanceId?: string; client?: RPCClient } = {}): Promise<string> {
    const r = await call('ApplyToken', { InstanceId: o.instanceId ?? InstanceId, Resources: resources.join(','), Actions: actions, ExpireTime: clock.now() + (o.ttlMs ?? HOUR) }, o.client);
    return r.Token as string;
  }

  /** Waits for the broker to have applied the token rows notified so far. */
  async function synced(): Promise<void> {
    await sleep(50);
    await sys.broker.broker.running.settled();
  }

  function user(keyId = sys.api.rootAccessKeyId, instanceId = InstanceId): string {
    return `Token|${keyId}|${instanceId}`;
  }

  /** A Token-mode device with its inbox attached before CONNACK. */
  async function device(clientId: string, password: string, o: IClientOptions & { port?: number } = {}): Promise<{ c: MqttClient; got: Msg[] }> {
    const { port = sys.mqttPort, ...rest } = o;
    const c = mqttConnect(`mqtt://127.0.0.1:${port}`, { clientId, username: user(), password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...rest });
    const got: Msg[] = [];
    c.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    open.push(c);
    return { c, got };
  }

  const connack = (clientId: string, password: string | undefined, username = user()) => connackCode(sys.mqttPort, { clientId, username, password });
  const notices = (got: Msg[], topic: string) => got.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload) as Record<string, unknown>);

  beforeAll(async () => {
    clock = new ManualClock();
    sys = await startSystem({}, { clock });
    pop = sys.pop;
    InstanceId = await sys.provision(uniqueName('tok'), ['sensors', 'alerts'], ['GID_app']);
    other = await sys.provision(uniqueName('tok2'), ['sensors'], ['GID_app']);
    await synced();
  });

  afterEach(() => {
    for (const c of open.splice(0)) c.end(true);
  });

  afterAll(async () => {
    await sys.close();
  });

  it('should run the Alibaba token demo: ApplyToken, RW login, pub/sub, RevokeToken disconnects on every worker within 1 s with code 3', async () => {
    // A second broker worker on the same database: RevokeToken must reach both through their own LISTEN.
    const worker2 = await startBrokerApp({ ...sys.api.config, nodeId: 'tokens-worker-2', mqtt: { ...sys.api.config.mqtt, port: 0, wsPort: 0 }, logLevel: 'error' }, { clock });
    try {
      const token = await apply(['sensors/#'], 'R,W');
      expect(token.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
      await synced();
      const a = await device('GID_app@@@demo-a', `RW|${token}`);
      const b = await device('GID_app@@@demo-b', `RW|${token}`, { port: worker2.broker.running.ports.mqtt! });
      await a.c.subscribeAsync('sensors/#', { qos: 1 });
      await a.c.publishAsync('sensors/room1', '21.5', { qos: 1 });
      await waitFor(() => a.got.length === 1);
      expect(a.got[0]).toEqual({ topic: 'sensors/room1', payload: '21.5' });
      expect((await call('QueryToken', { InstanceId, Token: token })).TokenStatus).toBe(true);

      const start = Date.now();
      await call('RevokeToken', { InstanceId, Token: token });
      await Promise.all([closed(a.c), closed(b.c)]);
      expect(Date.now() - start).toBeLessThan(1000);
      for (const d of [a, b]) expect(notices(d.got, '$SYS/tokenInvalidNotice')).toEqual([{ code: 3, type: 'RW' }]);
      expect((await call('QueryToken', { InstanceId, Token: token })).TokenStatus).toBe(false);
      // and the revoked token no longer logs in, on either worker
      expect(await connack('GID_app@@@demo-a', `RW|${token}`)).toBe(4);
      expect(await connackCode(worker2.broker.running.ports.mqtt!, { clientId: 'GID_app@@@demo-b', username: user(), password: `RW|${token}` })).toBe(4);
    } finally {
      await worker2.close();
    }
  });

  it('should let an R token subscribe but not publish', async () => {
    const token = await apply(['sensors/#'], 'R');
    await synced();
    const watcher = await sys.device('GID_app@@@watch-r', InstanceId);
    open.push(watcher);
    const seen: Msg[] = [];
    watcher.on('message', (topic, p) => seen.push({ topic, payload: p.toString() }));
    await watcher.subscribeAsync('sensors/#', { qos: 1 });
    const r = await device('GID_app@@@reader', `R|${token}`);
    expect(await subscribeGranted(r.c, { 'sensors/a': { qos: 1 }, 'alerts/a': { qos: 1 } })).toEqual([1, 128]);
    await watcher.publishAsync('sensors/a', 'to reader', { qos: 1 });
    await waitFor(() => r.got.length === 1);
    r.c.publish('sensors/a', 'from reader', { qos: 1 });
    await closed(r.c);
    await sleep(100);
    expect(seen.map((m) => m.payload)).toEqual(['to reader']);
  });

  it('should let a W token publish but not subscribe', async () => {
    const token = await apply(['sensors/#'], 'W');
    await synced();
    const watcher = await sys.device('GID_app@@@watch-w', InstanceId);
    open.push(watcher);
    const seen: Msg[] = [];
    watcher.on('message', (topic, p) => seen.push({ topic, payload: p.toString() }));
    await watcher.subscribeAsync('sensors/#', { qos: 1 });
    const w = await device('GID_app@@@writer', `W|${token}`);
    expect(await subscribeGranted(w.c, { 'sensors/a': { qos: 1 } })).toEqual([128]);
    await w.c.publishAsync('sensors/b', 'from writer', { qos: 1 });
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toEqual({ topic: 'sensors/b', payload: 'from writer' });
    expect(w.c.connected).toBe(true);
    // outside its resources: closed
    w.c.publish('alerts/x', 'nope', { qos: 1 });
    await closed(w.c);
  });

  it('should check wildcard coverage both ways: resource sensors/+ allows sensors/a, denies filter sensors/#', async () => {
    const token = await apply(['sensors/+'], 'R,W');
    await synced();
    const d = await device('GID_app@@@wild', `RW|${token}`);
    expect(await subscribeGranted(d.c, { 'sensors/a': { qos: 0 }, 'sensors/+': { qos: 0 }, 'sensors/#': { qos: 0 }, 'sensors/a/b': { qos: 0 }, sensors: { qos: 0 } })).toEqual([0, 0, 128, 128, 128]);
    await d.c.publishAsync('sensors/a', 'one level', { qos: 1 });
    await waitFor(() => d.got.length >= 1);
    expect(d.got[0]).toEqual({ topic: 'sensors/a', payload: 'one level' });
    // two levels: not matched by sensors/+
    d.c.publish('sensors/a/b', 'two levels', { qos: 1 });
    await closed(d.c);

    // a # resource covers narrower filters, and the parent level itself
    const wide = await apply(['alerts/#'], 'R');
    await synced();
    const e = await device('GID_app@@@wild2', `R|${wide}`);
    expect(await subscribeGranted(e.c, { 'alerts/+/x': { qos: 0 }, 'alerts/#': { qos: 0 }, alerts: { qos: 0 }, '#': { qos: 0 } })).toEqual([0, 0, 0, 128]);
  });

  it('should combine an R and a W token in one password', async () => {
    const r = await apply(['alerts/#'], 'R');
    const w = await apply(['sensors/#'], 'W');
    await synced();
    const d = await device('GID_app@@@combo', `W|${w}|R|${r}`);
    expect(await subscribeGranted(d.c, { 'alerts/#': { qos: 1 }, 'sensors/#': { qos: 1 } })).toEqual([1, 128]);
    await d.c.publishAsync('sensors/x', 'w ok', { qos: 1 });
    expect(d.c.connected).toBe(true);
  });

  it('should refuse bad passwords and invalid tokens with CONNACK 4', async () => {
    const r = await apply(['sensors/#'], 'R');
    const w = await apply(['sensors/#'], 'W');
    const foreign = await apply(['sensors/#'], 'R', { instanceId: other });
    const revoked = await apply(['sensors/#'], 'R');
    await call('RevokeToken', { InstanceId, Token: revoked });
    await synced();
    const cid = 'GID_app@@@bad';
    expect(await connack(cid, `R|${r}`)).toBe(0); // the control: the same token is fine
    for (const pw of [`X|${r}`, `R|${r}|R|${w}`, '', undefined, 'R|', `R|${r}|W`, `r|${r}`, `R|${r}x`, 'R|unknown-token']) {
      expect([pw, await connack(cid, pw)]).toEqual([pw, 4]);
    }
    expect(await connack(cid, `W|${r}`)).toBe(4); // type does not match the token
    expect(await connack(cid, `RW|${r}`)).toBe(4);
    expect(await connack(cid, `R|${r}|W|${r}`)).toBe(4); // one valid, one not: the whole login fails
    expect(await connack(cid, `R|${revoked}`)).toBe(4);
    expect(await connack(cid, `R|${foreign}`)).toBe(4); // a token of another instance
    expect(await connackCode(sys.mqttPort, { clientId: cid, username: user(sys.api.rootAccessKeyId, other), password: `R|${foreign}` })).toBe(0);
    expect(await connack(cid, `R|${r}|W|${w}`)).toBe(0);
  });

  it('should refuse a token presented under another AccessKey, and end its sessions with code -1 when its AccessKey is disabled', async () => {
    const res = await fetch(`${sys.api.url}/v1/access-keys`, {
      method: 'POST',
      headers: { authorization: sys.api.rootAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:*'], Resource: ['*'] }] } }),
    });
    expect(res.status).toBe(201);
    const key = (await res.json()) as { accessKeyId: string; accessKeySecret: string };
    const pop2 = new RPCClient({ accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret, endpoint: sys.api.url, apiVersion: '2020-04-20' });
    const token = await apply(['sensors/#'], 'R', { client: pop2 });
    await synced();
    const cid = 'GID_app@@@key2';
    expect(await connack(cid, `R|${token}`)).toBe(4); // username names the root key, the token is key2's
    expect(await connack(cid, `R|${token}`, user(key.accessKeyId))).toBe(0);

    const d = await device(cid, `R|${token}`, { username: user(key.accessKeyId) });
    const start = Date.now();
    const patched = await fetch(`${sys.api.url}/v1/access-keys/${key.accessKeyId}`, {
      method: 'PATCH',
      headers: { authorization: sys.api.rootAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'Inactive' }),
    });
    expect(patched.status).toBe(200);
    await closed(d.c);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(notices(d.got, '$SYS/tokenInvalidNotice')).toEqual([{ code: -1, type: 'R' }]);
    expect(await connack(cid, `R|${token}`, user(key.accessKeyId))).toBe(4);
  });

  it('should refuse an expired token at CONNECT', async () => {
    const token = await apply(['sensors/#'], 'R', { ttlMs: 61_000 });
    await synced();
    expect(await connack('GID_app@@@exp', `R|${token}`)).toBe(0);
    clock.advance(61_000);
    expect(await connack('GID_app@@@exp', `R|${token}`)).toBe(4);
    expect((await call('QueryToken', { InstanceId, Token: token })).TokenStatus).toBe(false);
  });

  it('should swap permissions on $SYS/uploadToken without reconnecting, acknowledged by PUBACK', async () => {
    const sensors = await apply(['sensors/#'], 'R');
    const alerts = await apply(['alerts/#'], 'R');
    const writer = await apply(['alerts/#'], 'W');
    await synced();
    const d = await device('GID_app@@@upload', `R|${sensors}`);
    let reconnected = false;
    d.c.on('close', () => (reconnected = true));
    expect(await subscribeGranted(d.c, { 'sensors/x': { qos: 0 }, 'alerts/x': { qos: 0 } })).toEqual([0, 128]);

    await d.c.publishAsync('$SYS/uploadToken', JSON.stringify({ token: alerts, type: 'R' }), { qos: 1 }); // resolves on PUBACK
    expect(await subscribeGranted(d.c, { 'sensors/y': { qos: 0 }, 'alerts/y': { qos: 0 } })).toEqual([128, 0]);

    // adding a W token: publishing becomes possible, and the R token is kept
    await d.c.publishAsync('$SYS/uploadToken', JSON.stringify({ token: writer, type: 'W' }), { qos: 1 });
    await d.c.publishAsync('alerts/y', 'after upload', { qos: 1 });
    await waitFor(() => d.got.some((m) => m.topic === 'alerts/y'));
    expect(reconnected).toBe(false);
    expect(d.c.connected).toBe(true);
    expect(notices(d.got, '$SYS/tokenInvalidNotice')).toEqual([]);
  });

  it('should stop deliveries on subscriptions a newly uploaded token no longer covers', async () => {
    const both = await apply(['alerts/#', 'sensors/#'], 'R');
    const alertsOnly = await apply(['alerts/#'], 'R');
    await synced();
    const d = await device('GID_app@@@narrow', `R|${both}`);
    await d.c.subscribeAsync(['sensors/#', 'alerts/#'], { qos: 1 });
    const pub = await sys.device('GID_app@@@narrow-pub', InstanceId);
    open.push(pub);
    await pub.publishAsync('sensors/1', 's1', { qos: 1 });
    await waitFor(() => d.got.length === 1);
    await d.c.publishAsync('$SYS/uploadToken', JSON.stringify({ token: alertsOnly, type: 'R' }), { qos: 1 });
    // the same topic again: a delivery decision cached before the upload must not survive it
    await pub.publishAsync('sensors/1', 's2', { qos: 1 });
    await pub.publishAsync('alerts/1', 'a1', { qos: 1 });
    await waitFor(() => d.got.length === 2);
    await sleep(100);
    expect(d.got.map((m) => m.payload)).toEqual(['s1', 'a1']);
  });

  it.each([
    ['an unknown token', () => JSON.stringify({ token: 'no-such-token', type: 'R' }), { code: 1, type: 'R' }],
    ['a revoked token', (t: Record<string, string>) => JSON.stringify({ token: t.revoked, type: 'R' }), { code: 3, type: 'R' }],
    ['a token of another type', (t: Record<string, string>) => JSON.stringify({ token: t.writer, type: 'R' }), { code: 5, type: 'R' }],
    ['malformed JSON', () => '{"token":', { code: 1 }],
    ['an unknown type', (t: Record<string, string>) => JSON.stringify({ token: t.writer, type: 'X' }), { code: 1 }],
  ])('should answer an upload of %s with tokenInvalidNotice and disconnect', async (_name, payload, notice) => {
    const good = await apply(['sensors/#'], 'R');
    const revoked = await apply(['sensors/#'], 'R');
    const writer = await apply(['sensors/#'], 'W');
    await call('RevokeToken', { InstanceId, Token: revoked });
    await synced();
    const d = await device('GID_app@@@badupload', `R|${good}`);
    d.c.publish('$SYS/uploadToken', payload({ revoked, writer }), { qos: 1 });
    await closed(d.c);
    expect(notices(d.got, '$SYS/tokenInvalidNotice')).toEqual([notice]);
  });

  it('should send tokenExpireNotice once about 5 minutes before expiry, then tokenInvalidNotice code 2 and disconnect', async () => {
    const ttl = 20 * 60_000;
    const token = await apply(['sensors/#'], 'R,W', { ttlMs: ttl });
    const expireTime = clock.now() + ttl;
    await synced();
    const d = await device('GID_app@@@expiring', `RW|${token}`);
    await sleep(600);
    expect(d.got).toEqual([]);
    clock.advance(ttl - 5 * 60_000 + 1000); // 4 min 59 s left
    await waitFor(() => d.got.length === 1, 2000);
    expect(d.got[0]!.topic).toBe('$SYS/tokenExpireNotice');
    expect(JSON.parse(d.got[0]!.payload)).toEqual({ expireTime, type: 'RW' });
    clock.advance(60_000);
    await sleep(600);
    expect(d.got).toHaveLength(1); // once
    expect(d.c.connected).toBe(true);
    clock.advance(4 * 60_000);
    await closed(d.c);
    expect(notices(d.got, '$SYS/tokenInvalidNotice')).toEqual([{ code: 2, type: 'RW' }]);
  });

  it('should let a token device receive its own P2P topic, and publish P2P only with W on <parent>/p2p/<ClientId>', async () => {
    const reader = await apply(['alerts/#'], 'R');
    const toB = await apply(['sensors/p2p/GID_app@@@p2p-b'], 'W');
    await synced();
    const b = await device('GID_app@@@p2p-b', `R|${reader}`);
    const a = await device('GID_app@@@p2p-a', `W|${toB}`);
    await a.c.publishAsync('sensors/p2p/GID_app@@@p2p-b', 'direct', { qos: 1 });
    await waitFor(() => b.got.length === 1);
    expect(b.got[0]).toEqual({ topic: 'sensors/p2p/GID_app@@@p2p-b', payload: 'direct' });
    // naming its own P2P topic needs no resource
    expect(await subscribeGranted(b.c, { 'sensors/p2p/GID_app@@@p2p-b': { qos: 1 } })).toEqual([1]);
    // another target is not covered
    a.c.publish('sensors/p2p/GID_app@@@someone', 'x', { qos: 1 });
    await closed(a.c);
  });
});

describe('Device credentials on live connections, through the real control plane', () => {
  let sys: TestSystem;
  let InstanceId: string;
  const call = (action: string, params: Record<string, unknown>) => sys.call(action, params);

  beforeAll(async () => {
    sys = await startSystem();
    InstanceId = await sys.provision(uniqueName('dc'), ['sensors'], ['GID_dev']);
  });

  afterAll(async () => {
    await sys.close();
  });

  type Cred = { DeviceAccessKeyId: string; DeviceAccessKeySecret: string };
  const login = (clientId: string, cred: Cred) => ({ clientId, username: `DeviceCredential|${cred.DeviceAccessKeyId}|${InstanceId}`, password: hmacSha1Base64(cred.DeviceAccessKeySecret, clientId) });
  const connectWith = (clientId: string, cred: Cred) => connectAsync(`mqtt://127.0.0.1:${sys.mqttPort}`, { ...login(clientId, cred), protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
  async function settle(): Promise<void> {
    await sleep(50);
    await sys.broker.broker.running.index.settled();
  }

  it('should close connections using the old credential on RefreshDeviceCredential, and accept only the new one', async () => {
    const cid = 'GID_dev@@@refresh';
    const old = (await call('RegisterDeviceCredential', { InstanceId, ClientId: cid })).DeviceCredential as Cred;
    await settle();
    const c = await connectWith(cid, old);
    const start = Date.now();
    const fresh = (await call('RefreshDeviceCredential', { InstanceId, ClientId: cid })).DeviceCredential as Cred;
    await closed(c);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(fresh.DeviceAccessKeySecret).not.toBe(old.DeviceAccessKeySecret);
    await settle();
    expect(await connackCode(sys.mqttPort, login(cid, old))).toBe(4);
    const again = await connectWith(cid, fresh);
    await again.subscribeAsync('sensors/#', { qos: 1 });
    await again.endAsync();
  });

  it('should close connections and block new logins on UnRegisterDeviceCredential', async () => {
    const cid = 'GID_dev@@@unreg';
    const cred = (await call('RegisterDeviceCredential', { InstanceId, ClientId: cid })).DeviceCredential as Cred;
    await settle();
    const c = await connectWith(cid, cred);
    const start = Date.now();
    await call('UnRegisterDeviceCredential', { InstanceId, ClientId: cid });
    await closed(c);
    expect(Date.now() - start).toBeLessThan(1000);
    await settle();
    expect(await connackCode(sys.mqttPort, login(cid, cred))).toBe(4);
  });
});
