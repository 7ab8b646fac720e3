/**
 * CI smoke test of the benchmark suite: the generator's wire code agrees with mqtt-packet, its roles
 * count correctly against a real (bare aedes) broker on a loopback port, and the Node targets that are
 * not plain aedes (bare lean core, Aviary on each core) start as the suite starts them and answer. No
 * timing assertions: CI machines are too noisy for them; the figures live in docs/benchmarks.md.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { compileSources, type CompiledTree } from '../apps/broker/test/broker-process.js';
import { BENCH_PARENT_TOPIC, createAviaryFixture, type AviaryFixture } from './aviary-fixture.js';
import { BenchConn, ConnackError, connectOptions, type AuthSpec } from './conn.js';
import { createRole, percentiles, type Job, type Role, type Stats } from './generator.js';
import { Target } from './procs.js';
import {
  DISCONNECT,
  encodeConnect,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  FrameSplitter,
  MalformedFrameError,
  PINGREQ,
  publishIdOffset,
  publishPacketId,
  publishPayloadStart,
} from './wire.js';

/** Deterministic PRNG (mulberry32), so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseAll(bytes: Buffer): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: mqttPacket.Packet[] = [];
  const errors: Error[] = [];
  parser.on('packet', (p) => out.push(p));
  parser.on('error', (e) => errors.push(e));
  parser.parse(bytes);
  if (errors.length > 0) throw errors[0];
  return out;
}

describe('bench wire encoder', () => {
  it('encodes CONNECT as mqtt-packet reads it, with and without credentials', () => {
    const [plain] = parseAll(encodeConnect({ clientId: 'dev-1', keepalive: 60 })) as mqttPacket.IConnectPacket[];
    expect(plain).toMatchObject({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'dev-1', keepalive: 60, clean: true });
    expect(plain.username).toBeUndefined();

    const opts = connectOptions({ mode: 'signature', accessKeyId: 'AK1', accessKeySecret: 's3cret', instanceId: 'mqtt-abc', groupId: 'GID_x' }, 'd1');
    const [signed] = parseAll(encodeConnect({ ...opts, clean: false })) as mqttPacket.IConnectPacket[];
    expect(signed).toMatchObject({ clientId: 'GID_x@@@d1', username: 'Signature|AK1|mqtt-abc', clean: false, keepalive: 300 });
    // Base64(HMAC-SHA1("s3cret", "GID_x@@@d1")), computed with openssl dgst -sha1 -hmac.
    expect(signed.password?.toString()).toBe('Hn7984pIyLdKM5EhWbFOF+/lOdo=');
  });

  it('refuses a password without a username (not expressible in MQTT 3.1.1)', () => {
    expect(() => encodeConnect({ clientId: 'x', password: 'p' })).toThrow(/only with a username/);
  });

  it('encodes PUBLISH, SUBSCRIBE, PUBACK, PINGREQ and DISCONNECT as mqtt-packet reads them', () => {
    const payload = Buffer.alloc(300, 7);
    const frames = Buffer.concat([
      encodePublish('a/b', payload, 0),
      encodePublish('a/b', payload, 1, 65535),
      encodeSubscribe(9, [['a/#', 1], ['c', 0]]),
      encodePuback(258),
      PINGREQ,
      DISCONNECT,
    ]);
    const [p0, p1, sub, ack, ping, disc] = parseAll(frames);
    expect(p0).toMatchObject({ cmd: 'publish', topic: 'a/b', qos: 0 });
    expect((p0 as mqttPacket.IPublishPacket).payload).toEqual(payload);
    expect(p1).toMatchObject({ cmd: 'publish', topic: 'a/b', qos: 1, messageId: 65535 });
    expect(sub).toMatchObject({ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'a/#', qos: 1 }, { topic: 'c', qos: 0 }] });
    expect(ack).toMatchObject({ cmd: 'puback', messageId: 258 });
    expect(ping.cmd).toBe('pingreq');
    expect(disc.cmd).toBe('disconnect');
  });

  it('patches QoS 1 packet ids at publishIdOffset', () => {
    const f = encodePublish('topic/with/levels', Buffer.from('x'), 1, 1);
    f.writeUInt16BE(4242, publishIdOffset(f));
    expect(parseAll(f)[0]).toMatchObject({ messageId: 4242, topic: 'topic/with/levels' });
  });

  it('rejects out-of-range packet ids', () => {
    expect(() => encodePublish('t', Buffer.alloc(0), 1, 0)).toThrow(RangeError);
    expect(() => encodePublish('t', Buffer.alloc(0), 1, 65536)).toThrow(RangeError);
  });
});

describe('FrameSplitter', () => {
  /** A random but valid stream of server→client and client→server packets, from mqtt-packet itself. */
  function randomStream(rand: () => number, count: number, bigShare: number): { bytes: Buffer; packets: mqttPacket.Packet[] } {
    const packets: mqttPacket.Packet[] = [];
    for (let i = 0; i < count; i++) {
      const r = rand();
      const size = rand() < bigShare ? Math.floor(rand() * 300_000) : Math.floor(rand() * 200);
      const topic = 't/' + 'x'.repeat(Math.floor(rand() * 40));
      if (r < 0.5) {
        const qos = rand() < 0.5 ? 0 : 1;
        packets.push({ cmd: 'publish', topic, payload: Buffer.alloc(size, i & 0xff), qos, retain: false, dup: false, messageId: qos ? 1 + Math.floor(rand() * 65535) : undefined });
      } else if (r < 0.65) packets.push({ cmd: 'puback', messageId: 1 + Math.floor(rand() * 65535) });
      else if (r < 0.75) packets.push({ cmd: 'connack', returnCode: Math.floor(rand() * 6), sessionPresent: false });
      else if (r < 0.85) packets.push({ cmd: 'suback', messageId: 1 + Math.floor(rand() * 65535), granted: [0, 1, 128] });
      else if (r < 0.95) packets.push({ cmd: 'pingresp' });
      else packets.push({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic, qos: 1 }] });
    }
    return { bytes: Buffer.concat(packets.map((p) => mqttPacket.generate(p))), packets };
  }

  const typeOf: Record<string, number> = { connack: 2, publish: 3, puback: 4, subscribe: 8, suback: 9, pingresp: 13 };

  // Large frames in mixed chunks (frames spanning many chunks), and small frames in 1-7 byte chunks
  // (boundaries inside the fixed header and the length varint, many times per stream).
  it.each([
    [1, 'mixed'],
    [2, 'mixed'],
    [3, 'mixed'],
    [4, 'tiny'],
    [5, 'tiny'],
  ] as const)('agrees with mqtt-packet on a fuzzed stream cut at random points (seed %i, %s chunks)', (seed, chunking) => {
    const rand = prng(seed);
    const { bytes, packets } = randomStream(rand, chunking === 'tiny' ? 2000 : 400, chunking === 'tiny' ? 0 : 0.05);
    const oracle = parseAll(bytes);
    expect(oracle).toHaveLength(packets.length);

    const seen: Array<{ type: number; len: number; topic?: string; id?: number; payload?: Buffer }> = [];
    const splitter = new FrameSplitter((type, flags, buf, start, end) => {
      const entry: (typeof seen)[number] = { type, len: end - start };
      if (type === 3) {
        const qos = (flags >> 1) & 3;
        const topicLen = buf.readUInt16BE(start);
        entry.topic = buf.toString('utf8', start + 2, start + 2 + topicLen);
        if (qos > 0) entry.id = publishPacketId(buf, start);
        entry.payload = Buffer.from(buf.subarray(publishPayloadStart(buf, start, qos), end));
      } else if (type === 4) entry.id = buf.readUInt16BE(start);
      seen.push(entry);
    });
    // Chunks from 1 byte (boundaries inside the length varint) to 100 KB (frames spanning many chunks).
    for (let o = 0; o < bytes.length; ) {
      const r = rand();
      const n =
        chunking === 'tiny' ? 1 + Math.floor(r * 7) : r < 0.3 ? 1 + Math.floor(rand() * 4) : r < 0.9 ? 1 + Math.floor(rand() * 2000) : 1 + Math.floor(rand() * 100_000);
      splitter.push(bytes.subarray(o, o + n));
      o += n;
    }

    expect(splitter.frames).toBe(oracle.length);
    expect(splitter.bytes).toBe(bytes.length);
    for (let i = 0; i < oracle.length; i++) {
      const p = oracle[i];
      expect(seen[i].type).toBe(typeOf[p.cmd]);
      expect(seen[i].len).toBe(p.length); // the remaining length, as the oracle read it
      if (p.cmd === 'publish') {
        expect(seen[i].topic).toBe(p.topic);
        expect(seen[i].payload?.equals(p.payload as Buffer)).toBe(true);
        if (p.qos > 0) expect(seen[i].id).toBe(p.messageId);
      } else if (p.cmd === 'puback') expect(seen[i].id).toBe(p.messageId);
    }
  });

  it('throws on a remaining length longer than four bytes, whole or split', () => {
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => new FrameSplitter(() => undefined).push(bad)).toThrow(MalformedFrameError);
    const split = new FrameSplitter(() => undefined);
    split.push(bad.subarray(0, 2));
    expect(() => split.push(bad.subarray(2))).toThrow(MalformedFrameError);
  });

  it('holds an incomplete frame until its last byte arrives', () => {
    const frames: number[] = [];
    const s = new FrameSplitter((type) => frames.push(type));
    const f = encodePublish('a', Buffer.alloc(1000), 0);
    s.push(f.subarray(0, 1));
    s.push(f.subarray(1, 500));
    expect(frames).toEqual([]);
    s.push(Buffer.concat([f.subarray(500), PINGREQ.subarray(0, 1)]));
    expect(frames).toEqual([3]);
    s.push(PINGREQ.subarray(1));
    expect(frames).toEqual([3, 12]);
  });
});

describe('percentiles', () => {
  it('reads p50/p99/max from unsorted samples and NaN from none', () => {
    const xs = Float64Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    expect(percentiles(xs)).toMatchObject({ count: 1000, p50Ms: 500, p99Ms: 990, maxMs: 999 });
    expect(percentiles(new Float64Array(0)).p99Ms).toBeNaN();
  });
});

describe('generator roles against bare aedes', () => {
  let broker: Aedes;
  let server: Server;
  let port: number;
  const roles: Role[] = [];

  async function startBroker(opts: Partial<AedesOptions> = {}): Promise<void> {
    broker = await Aedes.createBroker(opts);
    server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  }

  type RoleJob = Job extends infer J ? (J extends unknown ? Omit<J, 'port' | 'auth'> : never) : never;

  async function role(job: RoleJob): Promise<Role> {
    const r = createRole({ ...job, port, auth: { mode: 'none' } } as Job);
    roles.push(r);
    await r.prepare();
    return r;
  }

  /** Polls until `cond` holds (bounded). */
  async function until(cond: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  afterEach(async () => {
    for (const r of roles.splice(0)) r.close();
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('QoS 1 fan-in: every acknowledged message is counted by the subscriber, exactly once', async () => {
    await startBroker();
    const sub = await role({ role: 'subscribe', idPrefix: 'q', conns: 1, filter: 'bench/in', qos: 1 });
    const pub = await role({ role: 'publish', idPrefix: 'q', conns: 5, topic: 'bench/in', qos: 1, payloadBytes: 64, window: 16 });
    pub.go();
    await new Promise((r) => setTimeout(r, 1500));
    const end: Stats = await pub.stop(5000);
    expect(end.sent).toBeGreaterThan(0);
    expect(end.acked).toBe(end.sent);
    await until(() => sub.snap().received >= end.acked);
    await new Promise((r) => setTimeout(r, 200)); // duplicates would arrive now
    expect(sub.snap().received).toBe(end.acked);
    expect(sub.snap().failures).toBe(0);
  });

  it('QoS 0 fan-out at a fixed rate: each subscriber counts every message', async () => {
    await startBroker({ concurrency: 0 });
    const sub = await role({ role: 'subscribe', idPrefix: 'f', conns: 3, filter: 'bench/out', qos: 0 });
    const pub = await role({ role: 'publish', idPrefix: 'f', conns: 2, topic: 'bench/out', qos: 0, payloadBytes: 64, ratePerSec: 2000 });
    pub.go();
    await new Promise((r) => setTimeout(r, 1000));
    const end = await pub.stop(0);
    expect(end.sent).toBeGreaterThan(500);
    expect(end.sent).toBeLessThanOrEqual(2000 * 1.5); // paced, not flooding
    await until(() => sub.snap().received >= 3 * end.sent);
    expect(sub.snap().received).toBe(3 * end.sent);
  });

  it('latency role: timestamps survive the broker and nothing is lost at a low rate', async () => {
    await startBroker();
    const lat = await role({ role: 'latency', idPrefix: 'l', topic: 'bench/lat', ratePerSec: 500, payloadBytes: 64, maxSamples: 10_000 });
    lat.go();
    await new Promise((r) => setTimeout(r, 1000));
    const end = await lat.stop(0);
    expect(end.sent).toBeGreaterThan(100);
    expect(end.received).toBe(end.sent);
    expect(end.latency!.count).toBe(end.received);
    expect(end.latency!.p50Ms).toBeGreaterThan(0);
    expect(end.latency!.p50Ms).toBeLessThanOrEqual(end.latency!.p99Ms);
  });

  it('connect loops count CONNACKs; idle connections stay open', async () => {
    await startBroker();
    const c = await role({ role: 'connect', idPrefix: 'c', concurrency: 5 });
    c.go();
    await new Promise((r) => setTimeout(r, 500));
    const end = await c.stop(2000);
    expect(end.connects).toBeGreaterThan(5);
    expect(end.failures).toBe(0);
    const idle = await role({ role: 'idle', idPrefix: 'i', conns: 20 });
    await until(() => broker.connectedClients === 20);
    expect(broker.connectedClients).toBe(20);
    expect(idle.snap().open).toBe(20);
  });

  it('a refused CONNECT rejects with its return code, and the connect role counts it as a failure', async () => {
    await startBroker({
      authenticate: (_client, _user, _pass, done) => {
        const err = Object.assign(new Error('no'), { returnCode: 4 });
        done(err as Parameters<typeof done>[0], false);
      },
    });
    await expect(BenchConn.open(port, { clientId: 'x' })).rejects.toEqual(new ConnackError(4));
    const c = await role({ role: 'connect', idPrefix: 'r', concurrency: 2 });
    c.go();
    await new Promise((r) => setTimeout(r, 300));
    const end = await c.stop(2000);
    expect(end.connects).toBe(0);
    expect(end.failures).toBeGreaterThan(0);
  });

  it('fails clearly when nothing listens', async () => {
    await startBroker();
    const closedPort = port;
    await new Promise<void>((r) => server.close(() => r()));
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await expect(BenchConn.open(closedPort, { clientId: 'x' }, 2000)).rejects.toThrow(/closed before CONNACK|CONNACK within/);
  });
});

/**
 * The suite's own target processes (target-child.ts through procs.ts `Target.node`), compiled from the
 * sources as the broker e2e tests do (CI has no build). One start each; Aviary's two targets share one
 * fixture database here (the suite gives each its own; sharing is harmless for these checks).
 */
describe('bench targets', () => {
  let tree: CompiledTree | undefined;
  let fixture: AviaryFixture | undefined;
  const targets: Target[] = [];
  const roles: Role[] = [];

  beforeAll(async () => {
    tree = await compileSources();
  }, 60_000);

  afterEach(async () => {
    for (const r of roles.splice(0)) r.close();
    for (const t of targets.splice(0)) await t.stop();
  });

  afterAll(async () => {
    await fixture?.drop();
    await tree?.remove();
  });

  async function start(name: string, spec: Parameters<typeof Target.node>[1]): Promise<Target> {
    const t = await Target.node(name, spec, [], tree!.file('bench/target-child.ts'));
    targets.push(t);
    return t;
  }

  async function role(job: Job): Promise<Role> {
    const r = createRole(job);
    roles.push(r);
    await r.prepare();
    return r;
  }

  it('lean: the bare lean core delivers a QoS 1 fan-in, every acknowledged message exactly once', async () => {
    const t = await start('lean', { kind: 'lean' });
    const none: AuthSpec = { mode: 'none' };
    const sub = await role({ role: 'subscribe', idPrefix: 'ls', conns: 1, filter: 'bench/in', qos: 1, port: t.port, auth: none });
    const pub = await role({ role: 'publish', idPrefix: 'lp', conns: 3, topic: 'bench/in', qos: 1, payloadBytes: 64, window: 16, port: t.port, auth: none });
    pub.go();
    await new Promise((r) => setTimeout(r, 500));
    const end = await pub.stop(5000);
    expect(end.sent).toBeGreaterThan(0);
    expect(end.acked).toBe(end.sent);
    const deadline = Date.now() + 5000;
    while (sub.snap().received < end.acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // duplicates would arrive now
    expect(sub.snap().received).toBe(end.acked);
    expect(await t.shedCount()).toBe(0); // QoS 1 is never shed; the count is what run.ts reports as shedQos0
  });

  it.each([
    ['aviary', 'lean'],
    ['aviary-aedes', 'aedes'],
  ] as const)('%s: Aviary on the %s core refuses a wrong signature with CONNACK 4 and serves the right one', async (name, core) => {
    fixture ??= await createAviaryFixture(process.env.AVIARY_TEST_DATABASE_URL!);
    // The child checks that the core it started is `core` (target-child.ts) and fails to start otherwise.
    const t = await start(name, { kind: 'aviary', core, databaseUrl: fixture.databaseUrl, masterKeyBase64: fixture.masterKeyBase64, nodeId: `bench-spec-${name}`, dataDir: fixture.dataDir });
    const good = connectOptions(fixture.auth, `${name}-check`);
    await expect(BenchConn.open(t.port, { ...good, password: 'not-the-signature' })).rejects.toEqual(new ConnackError(4));
    const lat = await role({ role: 'latency', idPrefix: name, topic: `${BENCH_PARENT_TOPIC}/lat`, ratePerSec: 200, payloadBytes: 64, maxSamples: 1000, port: t.port, auth: fixture.auth });
    lat.go();
    await new Promise((r) => setTimeout(r, 500));
    const end = await lat.stop(2000);
    expect(end.sent).toBeGreaterThan(20);
    expect(end.received).toBe(end.sent);
    expect(await t.shedCount()).toBe(0);
  }, 60_000);
});
