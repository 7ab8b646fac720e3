import { execFile, spawn } from 'node:child_process';
import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import { BrokerFixture, connackCode, closed, inbox, waitFor, type Tenant } from './broker-fixture.js';

describe('broker authentication (CONNECT)', () => {
  let f: BrokerFixture;
  let t: Tenant;

  beforeAll(async () => {
    f = await BrokerFixture.start();
    t = await f.tenant(['T1']);
  });

  afterAll(async () => {
    await f.stop();
  });

  const sig = (key: { id: string; secret: string }, instanceId: string, clientId: string) => ({
    clientId,
    username: `Signature|${key.id}|${instanceId}`,
    password: hmacSha1Base64(key.secret, clientId),
  });

  it('should accept valid Signature credentials with CONNACK 0', async () => {
    expect(await connackCode(f.port, sig(t.key, t.instanceId, 'GID_dev@@@a1'))).toBe(0);
  });

  it('should accept MQTT 3.1 (MQIsdp) clients', async () => {
    expect(await connackCode(f.port, { ...sig(t.key, t.instanceId, 'GID_dev@@@mqtt31'), protocolVersion: 3 })).toBe(0);
  });

  it('should refuse malformed ClientIds with CONNACK 2', async () => {
    for (const clientId of ['nogroup', 'GID_dev@@@', 'XYZ_dev@@@d1', 'GID_dev@@@bad/char', `GID_dev@@@${'x'.repeat(60)}`, '']) {
      expect(await connackCode(f.port, sig(t.key, t.instanceId, clientId))).toBe(2);
    }
  });

  it('should refuse bad credentials with CONNACK 4', async () => {
    const cid = 'GID_dev@@@b1';
    expect(await connackCode(f.port, { ...sig(t.key, t.instanceId, cid), password: 'wrong' })).toBe(4);
    expect(await connackCode(f.port, { ...sig(t.key, t.instanceId, cid), password: hmacSha1Base64(t.key.secret, 'GID_dev@@@other') })).toBe(4);
    expect(await connackCode(f.port, { ...sig({ id: 'AKunknown00000', secret: t.key.secret }, t.instanceId, cid) })).toBe(4);
    expect(await connackCode(f.port, { clientId: cid })).toBe(4); // no username at all
    expect(await connackCode(f.port, { ...sig(t.key, t.instanceId, cid), username: `Signature|${t.key.id}` })).toBe(4);
    expect(await connackCode(f.port, { ...sig(t.key, t.instanceId, cid), username: `Bogus|${t.key.id}|${t.instanceId}` })).toBe(4);
    // Token mode is not plugged in yet: unknown mode, bad credentials
    expect(await connackCode(f.port, { ...sig(t.key, t.instanceId, cid), username: `Token|${t.key.id}|${t.instanceId}`, password: 'R|abc' })).toBe(4);
    const inactive = await f.accessKey({ isRoot: true, status: 'Inactive' });
    await f.synced();
    expect(await connackCode(f.port, sig(inactive, t.instanceId, cid))).toBe(4);
  });

  it('should refuse valid credentials without rights here with CONNACK 5', async () => {
    const cid = 'GID_dev@@@c1';
    // unknown instance
    expect(await connackCode(f.port, sig(t.key, 'mqtt-doesnotexist', cid))).toBe(5);
    // group not in the instance
    expect(await connackCode(f.port, sig(t.key, t.instanceId, 'GID_nope@@@c1'))).toBe(5);
    // a key whose policy covers only another instance
    const other = await f.instance();
    const scoped = await f.accessKey({ policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:PUB', 'mq:SUB'], Resource: `acs:mq:*:*:topic/${other}/*` }] } });
    await f.synced();
    expect(await connackCode(f.port, sig(scoped, t.instanceId, cid))).toBe(5);
    // …and a key with rights on one parent topic is in
    const device = await f.accessKey({ policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:SUB'], Resource: `acs:mq:*:*:topic/${t.instanceId}/T1` }] } });
    await f.synced();
    expect(await connackCode(f.port, sig(device, t.instanceId, cid))).toBe(0);
  });

  it('should refuse connections beyond the instance limit with CONNACK 5, but let a ClientId take itself over', async () => {
    const instanceId = await f.instance({ maxConnections: 2 });
    await f.topic(instanceId, 'T1');
    await f.group(instanceId, 'GID_dev');
    await f.synced();
    const u = { instanceId, key: t.key };
    const a = await f.connect(u, 'GID_dev@@@l1');
    const b = await f.connect(u, 'GID_dev@@@l2');
    expect(await connackCode(f.port, sig(t.key, instanceId, 'GID_dev@@@l3'))).toBe(5);
    // the same ClientId again replaces the old connection instead of counting as a third
    const b2 = await f.connect(u, 'GID_dev@@@l2');
    await closed(b);
    expect(b.connected).toBe(false);
    expect(f.running.online(instanceId).map((s) => s.clientId).sort()).toEqual(['GID_dev@@@l1', 'GID_dev@@@l2']);
    a.end(true);
    await waitFor(() => f.running.online(instanceId).length === 1);
    expect(await connackCode(f.port, sig(t.key, instanceId, 'GID_dev@@@l3'))).toBe(0);
    b2.end(true);
  });

  it('should authenticate DeviceCredential mode bound to its ClientId', async () => {
    const cid = 'GID_dev@@@dc1';
    const cred = await f.deviceCredential(t.instanceId, cid);
    await f.synced();
    const user = `DeviceCredential|${cred.id}|${t.instanceId}`;
    expect(await connackCode(f.port, { clientId: cid, username: user, password: hmacSha1Base64(cred.secret, cid) })).toBe(0);
    expect(await connackCode(f.port, { clientId: cid, username: user, password: hmacSha1Base64('wrong', cid) })).toBe(4);
    // the credential of another device
    expect(await connackCode(f.port, { clientId: 'GID_dev@@@dc2', username: user, password: hmacSha1Base64(cred.secret, 'GID_dev@@@dc2') })).toBe(4);
    // a device credential can publish and subscribe on every parent topic of its instance
    const c = await f.connect({ instanceId: t.instanceId, key: { id: cred.id, secret: cred.secret } }, cid, {
      username: user,
    });
    const got = inbox(c);
    await c.subscribeAsync('T1/dc/#', { qos: 1 });
    await c.publishAsync('T1/dc/x', 'hello', { qos: 1 });
    await waitFor(() => got.length === 1);
    expect(got[0]).toMatchObject({ topic: 'T1/dc/x', payload: 'hello' });
    c.end(true);
  });

  it('should carry a Signature-mode round trip between mosquitto_sub and mosquitto_pub', async () => {
    const subId = 'GID_dev@@@mosq-sub';
    const pubId = 'GID_dev@@@mosq-pub';
    const args = (cid: string) => ['-h', '127.0.0.1', '-p', String(f.port), '-V', 'mqttv311', '-i', cid, '-u', `Signature|${t.key.id}|${t.instanceId}`, '-P', hmacSha1Base64(t.key.secret, cid)];
    const sub = spawn('/usr/bin/mosquitto_sub', [...args(subId), '-t', 'T1/mosq/#', '-q', '1', '-C', '1', '-v']);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => sub.on('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    await waitFor(() => f.running.online(t.instanceId).some((s) => s.clientId === subId && s.subscriptions.includes('T1/mosq/#')), 5000);
    // The session view lists a filter once it is authorized, a moment before the core routes it: publish
    // until mosquitto_sub (-C 1) has its message and exits, at most 10 times.
    for (let i = 0; i < 10 && !done; i++) {
      await new Promise<void>((resolve, reject) =>
        execFile('/usr/bin/mosquitto_pub', [...args(pubId), '-t', 'T1/mosq/a', '-q', '1', '-m', 'from-mosquitto'], (err) => (err ? reject(err) : resolve())),
      );
      await Promise.race([exited, new Promise((r) => setTimeout(r, 300))]);
    }
    const timer = setTimeout(() => sub.kill(), 5000);
    const code = await exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(out.trim()).toBe('T1/mosq/a from-mosquitto');
  });
});
