import mqttPacket from 'mqtt-packet';
import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import { BrokerFixture, closed, connectPacket, inbox, rawExchange, sleep, subscribeGranted, waitFor, type Tenant } from './broker-fixture.js';

describe('broker limits and malformed input', () => {
  let f: BrokerFixture;
  let t: Tenant;

  beforeAll(async () => {
    f = await BrokerFixture.start();
    t = await f.tenant(['T1']);
  });

  afterAll(async () => {
    await f.stop();
  });

  async function limitedTenant(limits: Parameters<BrokerFixture['instance']>[0]): Promise<Tenant> {
    const instanceId = await f.instance(limits);
    await f.topic(instanceId, 'T1');
    await f.group(instanceId, 'GID_dev');
    await f.synced();
    return { instanceId, group: 'GID_dev', key: t.key };
  }

  it('should close a publisher whose payload exceeds the instance limit', async () => {
    const lt = await limitedTenant({ maxPayloadBytes: 1024 });
    const sub = await f.connect(lt, 'GID_dev@@@big-sub');
    const got = inbox(sub);
    await sub.subscribeAsync('T1/#', { qos: 1 });
    const pub = await f.connect(lt, 'GID_dev@@@big-pub');
    await pub.publishAsync('T1/ok', Buffer.alloc(1024, 1), { qos: 1 });
    pub.publish('T1/too-big', Buffer.alloc(1025, 1), { qos: 1 });
    await closed(pub);
    await sleep(100);
    expect(got.map((m) => m.topic)).toEqual(['T1/ok']);
    sub.end(true);
  });

  it('should refuse subscriptions beyond the per-client limit with 0x80 and count unsubscribes', async () => {
    const lt = await limitedTenant({ maxSubscriptionsPerClient: 3 });
    const c = await f.connect(lt, 'GID_dev@@@subs');
    expect(await subscribeGranted(c, { 'T1/a': { qos: 0 }, 'T1/b': { qos: 0 }, 'T1/c': { qos: 1 }, 'T1/d': { qos: 1 } })).toEqual([0, 0, 1, 128]);
    // re-subscribing an existing filter is not a new subscription
    expect(await subscribeGranted(c, { 'T1/a': { qos: 1 } })).toEqual([1]);
    expect(await subscribeGranted(c, { 'T1/e': { qos: 0 } })).toEqual([128]);
    await c.unsubscribeAsync('T1/b');
    expect(await subscribeGranted(c, { 'T1/e': { qos: 0 } })).toEqual([0]);
    // the denied filter was not subscribed in disguise: nothing arrives on it
    const got = inbox(c);
    const pub = await f.connect(lt, 'GID_dev@@@subs-pub');
    await pub.publishAsync('T1/d', 'x', { qos: 1 });
    await pub.publishAsync('T1/e', 'y', { qos: 1 });
    await waitFor(() => got.length === 1);
    await sleep(100);
    expect(got.map((m) => m.topic)).toEqual(['T1/e']);
    c.end(true);
    pub.end(true);
  });

  it('should rate-limit publishes per instance by delaying them, never dropping them', async () => {
    const lt = await limitedTenant({ maxMessagesPerSecond: 10 });
    const sub = await f.connect(lt, 'GID_dev@@@rate-sub');
    const got = inbox(sub);
    await sub.subscribeAsync('T1/#', { qos: 0 });
    const pub = await f.connect(lt, 'GID_dev@@@rate-pub');
    const start = Date.now();
    for (let i = 0; i < 30; i++) pub.publish('T1/r', String(i), { qos: 0 });
    await waitFor(() => got.length === 30, 5000);
    const elapsed = Date.now() - start;
    // a 10-message burst, then 10/s: the last of 30 arrives after ~2 s, none lost, order kept
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(got.map((m) => Number(m.payload))).toEqual([...Array(30).keys()]);
    expect(pub.connected).toBe(true);
    sub.end(true);
    pub.end(true);
  });

  describe('malformed packets', () => {
    const cid = 'GID_dev@@@raw';
    const goodConnect = (): Buffer => connectPacket({ clientId: cid, username: `Signature|${t.key.id}|${t.instanceId}`, password: hmacSha1Base64(t.key.secret, cid) });
    const rawPublish = (topic: string): Buffer => {
      // mqtt-packet does not validate topics when generating, so a wildcard topic can be sent as is
      return mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 0, retain: false, dup: false } as mqttPacket.IPublishPacket);
    };

    it('should refuse them and keep serving the other clients', async () => {
      const bystander = await f.connect(t, 'GID_dev@@@bystander');
      const got = inbox(bystander);
      await bystander.subscribeAsync('T1/#', { qos: 1 });
      const cases: [string, Buffer[]][] = [
        ['garbage instead of CONNECT', [Buffer.from('GET / HTTP/1.1\r\n\r\n')]],
        ['CONNECT with an unknown protocol name', [connectPacket({ clientId: cid, protocolId: 'MQTX' })]],
        ['CONNECT with protocol level 7', [Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x07, 0x02, 0x00, 0x1e, 0x00, 0x00])]],
        ['PUBLISH before CONNECT', [rawPublish('T1/x')]],
        ['a second CONNECT', [goodConnect(), goodConnect()]],
        ['# in a PUBLISH topic', [goodConnect(), rawPublish('T1/#')]],
        ['+ in a PUBLISH topic', [goodConnect(), rawPublish('T1/+/x')]],
        ['a 5-byte remaining length', [goodConnect(), Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f])]],
        ['a 256 MB declared remaining length before CONNECT', [Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])]],
        ['a 2 MB declared PUBLISH after CONNECT', [goodConnect(), Buffer.from([0x30, 0x80, 0x80, 0x80, 0x01])]],
        ['reserved packet type 15', [goodConnect(), Buffer.from([0xf0, 0x00])]],
      ];
      for (const [name, bytes] of cases) {
        const start = Date.now();
        const r = await rawExchange(f.port, bytes, 3000);
        // the broker closes the connection (after at most a CONNACK) instead of waiting for more bytes
        const answered = r === 'closed' ? [] : r.map((p) => p.cmd).filter((c) => c !== 'connack');
        expect({ name, answered, closedBeforeTimeout: Date.now() - start < 2000 }).toEqual({ name, answered: [], closedBeforeTimeout: true });
      }
      const pub = await f.connect(t, 'GID_dev@@@bystander-pub');
      await pub.publishAsync('T1/still', 'alive', { qos: 1 });
      await waitFor(() => got.length === 1);
      expect(bystander.connected).toBe(true);
      bystander.end(true);
      pub.end(true);
    }, 60_000);

    it('should close an authenticated client as soon as it announces an oversize packet', async () => {
      const c = await f.connect(t, 'GID_dev@@@oversize');
      const start = Date.now();
      // 2 MB announced (instance limit 64 KB), only 1 KB sent: no waiting for the rest
      c.stream.write(Buffer.concat([Buffer.from([0x30, 0x80, 0x80, 0x80, 0x01]), Buffer.alloc(1000)]));
      await closed(c);
      expect(Date.now() - start).toBeLessThan(1000);
    });
  });
});
