import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import { BrokerFixture, connectCollecting, connectPacket, sleep, waitFor, type Tenant } from './broker-fixture.js';

/** A raw publisher: CONNECT, then PUBLISH frames as fast as the socket accepts them (honouring backpressure). */
async function flooder(port: number, t: Tenant, clientId: string, until: number): Promise<number> {
  const sock: Socket = netConnect(port, '127.0.0.1');
  sock.on('error', () => undefined);
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write(connectPacket({ clientId, username: `Signature|${t.key.id}|${t.instanceId}`, password: hmacSha1Base64(t.key.secret, clientId) }));
  await new Promise<void>((resolve) => sock.once('data', () => resolve())); // CONNACK
  const frame = mqttPacket.generate({ cmd: 'publish', topic: 'T1/flood', payload: Buffer.alloc(64, 7), qos: 0, retain: false, dup: false } as mqttPacket.IPublishPacket);
  const batch = Buffer.concat(Array.from({ length: 100 }, () => frame));
  let sent = 0;
  while (Date.now() < until && !sock.destroyed) {
    sent += 100;
    if (!sock.write(batch)) await Promise.race([new Promise((r) => sock.once('drain', r)), sleep(200)]);
    else await new Promise((r) => setImmediate(r));
  }
  sock.destroy();
  return sent;
}

describe('broker under a publisher flood', () => {
  let f: BrokerFixture;

  beforeAll(async () => {
    f = await BrokerFixture.start();
  });

  afterAll(async () => {
    await f.stop();
  });

  it('should survive 20 QoS 0 flooders into one subscriber that leaves mid-flood, delivering every QoS 1 message', async () => {
    const instanceId = await f.instance({ maxMessagesPerSecond: 10_000_000 });
    await f.topic(instanceId, 'T1');
    await f.group(instanceId, 'GID_dev');
    const key = await f.accessKey({ isRoot: true });
    await f.synced();
    const t: Tenant = { instanceId, group: 'GID_dev', key };

    const slow = await connectCollecting(f, t, 'GID_dev@@@flood-sub');
    await slow.client.subscribeAsync('T1/flood', { qos: 0 });
    const q1 = await connectCollecting(f, t, 'GID_dev@@@q1-sub');
    await q1.client.subscribeAsync('T1/q1', { qos: 1 });
    const q1pub = await connectCollecting(f, t, 'GID_dev@@@q1-pub');

    const heapBefore = process.memoryUsage().heapUsed;
    const until = Date.now() + 3000;
    const flood = Promise.all(Array.from({ length: 20 }, (_, i) => flooder(f.port, t, `GID_dev@@@flood-${i}`, until)));
    // QoS 1 traffic during the flood
    const qos1 = (async () => {
      for (let i = 0; i < 200; i++) await q1pub.client.publishAsync('T1/q1', String(i), { qos: 1 });
    })();
    await sleep(1500);
    slow.client.stream.destroy(); // the only QoS 0 subscriber leaves while messages are in flight
    const sent = (await flood).reduce((a, b) => a + b, 0);
    await qos1;
    await waitFor(() => q1.got.length === 200, 10_000);
    expect(q1.got.map((m) => Number(m.payload))).toEqual([...Array(200).keys()]);
    expect(sent).toBeGreaterThan(10_000);
    if (process.env.AVIARY_BENCH_LOG) console.log(`flood: ${sent} QoS 0 publishes in 3 s`);
    // still serving, memory bounded
    const probe = await connectCollecting(f, t, 'GID_dev@@@probe');
    await probe.client.subscribeAsync('T1/probe', { qos: 1 });
    await q1pub.client.publishAsync('T1/probe', 'alive', { qos: 1 });
    await waitFor(() => probe.got.length === 1);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
    for (const c of [q1.client, q1pub.client, probe.client]) c.end(true);
  }, 30_000);
});

describe('broker with a subscriber that stops reading', () => {
  let f: BrokerFixture;

  beforeAll(async () => {
    f = await BrokerFixture.start({ drainTimeout: 2000 });
  });

  afterAll(async () => {
    await f.stop();
  });

  it('should shed QoS 0 for it (counted) while publishers and QoS 1 subscribers keep flowing', async () => {
    const instanceId = await f.instance({ maxMessagesPerSecond: 10_000_000 });
    await f.topic(instanceId, 'T1');
    await f.group(instanceId, 'GID_dev');
    const key = await f.accessKey({ isRoot: true });
    await f.synced();
    const t: Tenant = { instanceId, group: 'GID_dev', key };
    // a raw subscriber that subscribes, then never reads again
    const stuck = netConnect(f.port, '127.0.0.1');
    stuck.on('error', () => undefined);
    await new Promise<void>((resolve) => stuck.once('connect', () => resolve()));
    const cid = 'GID_dev@@@stuck';
    stuck.write(connectPacket({ clientId: cid, username: `Signature|${key.id}|${instanceId}`, password: hmacSha1Base64(key.secret, cid) }));
    stuck.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'T1/flood', qos: 0 }] } as mqttPacket.ISubscribePacket));
    await waitFor(() => f.running.online(instanceId).some((s) => s.clientId === cid && s.subscriptions.length === 1));
    stuck.pause();
    const q1 = await connectCollecting(f, t, 'GID_dev@@@q1-sub');
    await q1.client.subscribeAsync('T1/q1', { qos: 1 });
    const q1pub = await connectCollecting(f, t, 'GID_dev@@@q1-pub');
    // Flood in rounds of 2 s until the stuck subscriber's buffers are full and shedding has started: how
    // much the kernel buffers before that depends on the machine and its load (at most 5 rounds).
    let sent = 0;
    const qos1 = (async () => {
      for (let i = 0; i < 100; i++) await q1pub.client.publishAsync('T1/q1', String(i), { qos: 1 });
    })();
    for (let round = 0; round < 5 && (round === 0 || f.running.stats().qos0Shed === 0); round++) {
      const until = Date.now() + 2000;
      const counts = await Promise.all(Array.from({ length: 10 }, (_, i) => flooder(f.port, t, `GID_dev@@@flood-${round}-${i}`, until)));
      sent += counts.reduce((a, b) => a + b, 0);
    }
    await qos1;
    await waitFor(() => q1.got.length === 100, 10_000);
    expect(f.running.stats().qos0Shed).toBeGreaterThan(0);
    if (process.env.AVIARY_BENCH_LOG) console.log(`stuck subscriber: ${sent} sent, ${f.running.stats().qos0Shed} shed`);
    expect(sent).toBeGreaterThan(10_000);
    stuck.destroy();
    q1.client.end(true);
    q1pub.client.end(true);
  }, 40_000);
});

describe('broker under a connect storm', () => {
  let f: BrokerFixture;

  beforeAll(async () => {
    f = await BrokerFixture.start();
  });

  afterAll(async () => {
    await f.stop();
  });

  it('should accept 1,000 concurrent authenticated connects', async () => {
    const t = await f.tenant(['T1']);
    const socks: Socket[] = [];
    const codes = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => {
        const clientId = `GID_dev@@@storm-${i}`;
        return new Promise<number>((resolve) => {
          const sock = netConnect(f.port, '127.0.0.1');
          socks.push(sock);
          sock.on('error', () => resolve(-1));
          sock.once('connect', () => sock.write(connectPacket({ clientId, username: `Signature|${t.key.id}|${t.instanceId}`, password: hmacSha1Base64(t.key.secret, clientId) })));
          const parser = mqttPacket.parser();
          parser.on('packet', (p) => resolve((p as mqttPacket.IConnackPacket).returnCode ?? -1));
          sock.on('data', (d) => parser.parse(d));
        });
      }),
    );
    expect(codes.filter((c) => c !== 0)).toEqual([]);
    await waitFor(() => f.running.online(t.instanceId).length === 1000, 5000);
    for (const s of socks) s.destroy();
    await waitFor(() => f.running.online(t.instanceId).length === 0, 5000);
  }, 30_000);
});
