/**
 * PacketReader against mqtt-packet 9 as the oracle: random valid streams of every packet type (both
 * directions, MQTT 3.1, 3.1.1 and 5) cut at random points must read as the same packet sequence as a
 * fresh mqtt-packet Parser reads them; mutated streams must never throw and must fail wherever
 * mqtt-packet fails; and the rules the reader adds (size guard, UTF-8, fixed-header flags, lengths) are
 * checked one by one. Fuzz cases use a seeded PRNG: the seed is in each test's name (FUZZ_SEED=n adds one).
 */
import mqttPacket from 'mqtt-packet';
import { MalformedPacketError, PacketReader, PacketTooLargeError, type MqttPacket } from './packet-reader.js';

/** Deterministic PRNG (mulberry32), so a failing fuzz case can be replayed from its seed. */
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

type Rand = () => number;
const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[int(rand, xs.length)];
const chance = (rand: Rand, p: number): boolean => rand() < p;

/** Well-formed strings without U+0000: mostly ASCII topic-like text, sometimes multi-byte characters. */
function str(rand: Rand, maxLen: number, minLen = 0): string {
  const parts = ['a', 'b', 'z', '0', '9', '/', '-', '_', '.', '+', '#', ' ', '$', 'é', 'ß', '日本', '😀', '\uFFFD', 'Ω'];
  const n = minLen + int(rand, maxLen - minLen + 1);
  let s = '';
  while (s.length < n) s += chance(rand, 0.85) ? String.fromCharCode(97 + int(rand, 26)) : pick(rand, parts);
  return s;
}

function bytes(rand: Rand, maxLen: number): Buffer {
  const size = chance(rand, 0.03) ? int(rand, 20_000) : int(rand, maxLen + 1);
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < Math.min(size, 256); i++) b[i] = int(rand, 256);
  if (size > 256) b.fill(b.subarray(0, 256), 256); // large payloads: random enough, and cheap
  return b;
}

const id = (rand: Rand): number => 1 + int(rand, 65535);

function userProperties(rand: Rand): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = int(rand, 3); i >= 0; i--) out[str(rand, 6, 1)] = chance(rand, 0.3) ? [str(rand, 5), str(rand, 5)] : str(rand, 8);
  return out;
}

/** Random MQTT 5 properties from `names` (each present with probability 1/2). */
function props(rand: Rand, names: readonly string[]): Record<string, unknown> | undefined {
  if (chance(rand, 0.3)) return undefined;
  const out: Record<string, unknown> = {};
  for (const name of names) {
    if (chance(rand, 0.5)) continue;
    switch (name) {
      case 'userProperties':
        out[name] = userProperties(rand);
        break;
      case 'correlationData':
      case 'authenticationData':
        out[name] = bytes(rand, 20);
        break;
      case 'payloadFormatIndicator':
      case 'requestResponseInformation':
      case 'requestProblemInformation':
      case 'retainAvailable':
      case 'wildcardSubscriptionAvailable':
      case 'subscriptionIdentifiersAvailable':
      case 'sharedSubscriptionAvailable':
        out[name] = chance(rand, 0.5);
        break;
      case 'maximumQoS':
        out[name] = int(rand, 2);
        break;
      case 'receiveMaximum':
      case 'topicAliasMaximum':
      case 'topicAlias':
      case 'serverKeepAlive':
        out[name] = id(rand);
        break;
      case 'subscriptionIdentifier':
        out[name] = 1 + int(rand, 268_435_455);
        break;
      case 'sessionExpiryInterval':
      case 'willDelayInterval':
      case 'messageExpiryInterval':
      case 'maximumPacketSize':
        out[name] = 1 + int(rand, 0xfffffffe);
        break;
      default:
        out[name] = str(rand, 12);
    }
  }
  return out;
}

type Dir = 'toServer' | 'toClient';

/** A random valid packet of protocol `version` (3, 4 or 5) travelling in direction `dir`, as mqtt-packet generates it. */
function randomPacket(rand: Rand, version: number, dir: Dir, allowConnect: boolean): Record<string, unknown> {
  const v5 = version === 5;
  const pub = (): Record<string, unknown> => {
    const qos = int(rand, 3);
    return {
      cmd: 'publish',
      topic: str(rand, 30, 1),
      payload: bytes(rand, 120),
      qos,
      retain: chance(rand, 0.3),
      dup: qos > 0 && chance(rand, 0.3),
      messageId: qos > 0 ? id(rand) : undefined,
      properties: v5
        ? props(rand, ['payloadFormatIndicator', 'messageExpiryInterval', 'topicAlias', 'responseTopic', 'correlationData', 'userProperties', 'contentType'])
        : undefined,
    };
  };
  const ack = (cmd: string): Record<string, unknown> => ({
    cmd,
    messageId: id(rand),
    ...(v5 && chance(rand, 0.5)
      ? { reasonCode: cmd === 'pubrel' || cmd === 'pubcomp' ? pick(rand, [0, 0x92]) : pick(rand, [0, 0x10, 0x80, 0x87, 0x91]), properties: props(rand, ['reasonString', 'userProperties']) }
      : {}),
  });
  const r = rand();
  // Most traffic is PUBLISH and its acknowledgements, as on a real connection.
  if (r < 0.4) return pub();
  if (r < 0.55) return ack(pick(rand, ['puback', 'pubrec', 'pubrel', 'pubcomp']));
  if (dir === 'toServer') {
    if (r < 0.65) {
      return {
        cmd: 'subscribe',
        messageId: id(rand),
        subscriptions: Array.from({ length: 1 + int(rand, 4) }, () => ({
          topic: str(rand, 20, 1),
          qos: int(rand, 3),
          ...(v5 ? { nl: chance(rand, 0.5), rap: chance(rand, 0.5), rh: int(rand, 3) } : {}),
        })),
        properties: v5 ? props(rand, ['subscriptionIdentifier', 'userProperties']) : undefined,
      };
    }
    if (r < 0.72) {
      return {
        cmd: 'unsubscribe',
        messageId: id(rand),
        unsubscriptions: Array.from({ length: 1 + int(rand, 4) }, () => str(rand, 20, 1)),
        properties: v5 ? props(rand, ['userProperties']) : undefined,
      };
    }
    if (r < 0.8) return { cmd: 'pingreq' };
    if (r < 0.85 && allowConnect) return randomConnect(rand, version);
    if (r < 0.9 && v5) return { cmd: 'auth', reasonCode: pick(rand, [0, 0x18, 0x19]), properties: props(rand, ['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties']) };
    return v5
      ? { cmd: 'disconnect', reasonCode: pick(rand, [0, 4, 0x80, 0x81]), properties: props(rand, ['sessionExpiryInterval', 'reasonString', 'userProperties']) }
      : { cmd: 'disconnect' };
  }
  if (r < 0.65) {
    return v5
      ? {
          cmd: 'connack',
          sessionPresent: chance(rand, 0.5),
          reasonCode: pick(rand, [0, 0x80, 0x85, 0x86, 0x87, 0x9c]),
          properties: props(rand, ['sessionExpiryInterval', 'receiveMaximum', 'maximumQoS', 'retainAvailable', 'maximumPacketSize', 'assignedClientIdentifier', 'topicAliasMaximum', 'reasonString', 'userProperties', 'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable', 'serverKeepAlive', 'responseInformation', 'serverReference', 'authenticationMethod', 'authenticationData']),
        }
      : { cmd: 'connack', sessionPresent: chance(rand, 0.5), returnCode: int(rand, 6) };
  }
  if (r < 0.75) {
    return {
      cmd: 'suback',
      messageId: id(rand),
      granted: Array.from({ length: 1 + int(rand, 4) }, () => pick(rand, v5 ? [0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2] : [0, 1, 2, 0x80])),
      properties: v5 ? props(rand, ['reasonString', 'userProperties']) : undefined,
    };
  }
  if (r < 0.82) {
    return {
      cmd: 'unsuback',
      messageId: id(rand),
      ...(v5 ? { granted: Array.from({ length: 1 + int(rand, 4) }, () => pick(rand, [0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91])), properties: props(rand, ['reasonString', 'userProperties']) } : {}),
    };
  }
  if (r < 0.9 || !v5) return { cmd: 'pingresp' };
  return { cmd: 'disconnect', reasonCode: pick(rand, [0, 0x8b, 0x8e, 0x93, 0x95]), properties: props(rand, ['sessionExpiryInterval', 'reasonString', 'userProperties', 'serverReference']) };
}

function randomConnect(rand: Rand, version: number, bridgeMode = false): Record<string, unknown> {
  const v5 = version === 5;
  const username = chance(rand, 0.5) ? str(rand, 20) : undefined;
  const clean = version === 3 || chance(rand, 0.5);
  return {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    bridgeMode: bridgeMode || undefined,
    clientId: str(rand, 23, version === 3 || !clean ? 1 : 0), // an empty ClientId needs a clean session
    clean,
    keepalive: int(rand, 65536),
    will: chance(rand, 0.4)
      ? {
          topic: str(rand, 20, 1),
          payload: bytes(rand, 40),
          qos: int(rand, 3),
          retain: chance(rand, 0.5),
          properties: v5 ? props(rand, ['willDelayInterval', 'payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData', 'userProperties']) : undefined,
        }
      : undefined,
    username,
    password: username !== undefined && chance(rand, 0.7) ? bytes(rand, 30) : undefined,
    properties: v5
      ? props(rand, ['sessionExpiryInterval', 'receiveMaximum', 'maximumPacketSize', 'topicAliasMaximum', 'requestResponseInformation', 'requestProblemInformation', 'userProperties', 'authenticationMethod', 'authenticationData'])
      : undefined,
  };
}

const encode = (packet: Record<string, unknown>, version: number): Buffer => mqttPacket.generate(packet as unknown as mqttPacket.Packet, { protocolVersion: version });

interface Outcome {
  packets: MqttPacket[];
  error: Error | null;
}

/** The oracle: a fresh mqtt-packet Parser fed the whole stream, up to its first error. */
function oracle(stream: Buffer, version: number): Outcome {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const out: Outcome = { packets: [], error: null };
  parser.on('packet', (p) => {
    if (out.error === null) out.packets.push(p as unknown as MqttPacket);
  });
  parser.on('error', (e: Error) => {
    out.error ??= e;
  });
  try {
    parser.parse(stream);
  } catch (e) {
    out.error ??= e as Error; // mqtt-packet itself can throw on some malformed input
  }
  return out;
}

/** Chunk sizes: many 1-byte cuts (inside headers and length varints), small and large pieces. */
function cuts(rand: Rand, length: number, mode: 'mixed' | 'bytes'): number[] {
  const out: number[] = [];
  for (let o = 0; o < length; ) {
    const r = rand();
    const n = mode === 'bytes' ? 1 : r < 0.3 ? 1 : r < 0.6 ? 1 + int(rand, 8) : r < 0.9 ? 1 + int(rand, 400) : 1 + int(rand, 30_000);
    out.push(Math.min(n, length - o));
    o += n;
  }
  return out;
}

/** PacketReader fed `stream` in the given chunks, each chunk a fresh Buffer that is overwritten after push. */
function read(stream: Buffer, version: number, chunks: number[], maxPacketBytes = 268_435_455): Outcome {
  const reader = new PacketReader(() => maxPacketBytes);
  reader.protocolVersion = version;
  const out: Outcome = { packets: [], error: null };
  const sink = { onPacket: (p: MqttPacket) => void out.packets.push(p) };
  let o = 0;
  for (const n of chunks) {
    // A copy per chunk, scribbled over afterwards, as a socket's reused buffers would be: any packet
    // still pointing into it would then differ from the oracle's.
    const chunk = Buffer.from(stream.subarray(o, o + n));
    o += n;
    out.error = reader.push(chunk, sink);
    chunk.fill(0xa5);
    if (out.error !== null) break;
  }
  return out;
}

/**
 * A packet as comparable JSON. Normalisations (the only ones): (1) the reader's fast path emits plain
 * objects where mqtt-packet emits its Packet class, so the class is dropped; (2) the fast path has
 * `messageId: undefined` where mqtt-packet has no messageId property (QoS 0 PUBLISH, PINGREQ,
 * DISCONNECT), so properties whose value is undefined are dropped; (3) Buffers become hex strings
 * (still tagged, so a Buffer never equals a string). Null prototypes (userProperties) are not recorded.
 */
function normalise(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `<Buffer ${value.toString('hex')}>`;
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalise(v);
    return out;
  }
  return value;
}

const json = (packets: MqttPacket[]): string[] => packets.map((p) => JSON.stringify(normalise(p)));

function expectSamePackets(seed: number, actual: MqttPacket[], expected: MqttPacket[]): void {
  const a = json(actual);
  const e = json(expected);
  const i = a.findIndex((x, k) => x !== e[k]);
  if (i >= 0 || a.length !== e.length) {
    const at = i >= 0 ? i : Math.min(a.length, e.length);
    expect({ seed, index: at, packet: a[at] }).toEqual({ seed, index: at, packet: e[at] });
  }
}

/** A reader fed `chunks` in order; collects packets and the first error. */
function feed(chunks: Buffer[], opts: { version?: number; max?: number } = {}): Outcome & { reader: PacketReader } {
  const reader = new PacketReader(() => opts.max ?? 1_000_000);
  if (opts.version !== undefined) reader.protocolVersion = opts.version;
  const out = { packets: [] as MqttPacket[], error: null as Error | null, reader };
  for (const chunk of chunks) {
    out.error = reader.push(chunk, { onPacket: (p) => void out.packets.push(p) });
    if (out.error) break;
  }
  return out;
}

const publish = (topic: string | Buffer, payload: Buffer | string, qos: 0 | 1 | 2 = 0, version = 4): Buffer =>
  encode({ cmd: 'publish', topic, payload, qos, messageId: qos > 0 ? 7 : undefined, retain: false, dup: false }, version);

const extraSeed = process.env.FUZZ_SEED !== undefined ? [Number(process.env.FUZZ_SEED)] : [];

describe('PacketReader agrees with mqtt-packet on valid streams', () => {
  it.each(
    [
      ...[11, 12, 13].map((seed) => [seed, 4, 'mixed'] as const),
      [21, 4, 'bytes'] as const,
      [31, 3, 'mixed'] as const,
      [32, 3, 'bytes'] as const,
      ...[51, 52].map((seed) => [seed, 5, 'mixed'] as const),
      [54, 5, 'bytes'] as const,
      ...extraSeed.flatMap((seed) => [[seed, 4, 'mixed'] as const, [seed, 5, 'mixed'] as const]),
    ],
  )('seed %i, MQTT protocol version %i, %s chunks', (seed, version, mode) => {
    const rand = prng(seed);
    const count = mode === 'bytes' ? 400 : 1200;
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const dir: Dir = chance(rand, 0.6) ? 'toServer' : 'toClient';
      frames.push(encode(randomPacket(rand, version, dir, version === 3 || version === 5), version));
    }
    const stream = Buffer.concat(frames);
    const expected = oracle(stream, version);
    expect(expected.error).toBeNull();
    expect(expected.packets).toHaveLength(count);

    const actual = read(stream, version, cuts(rand, stream.length, mode));
    expect(actual.error).toBeNull();
    expectSamePackets(seed, actual.packets, expected.packets);
    // The fast path really ran for MQTT 3.x (plain objects), and only then.
    const plain = actual.packets.filter((p) => Object.getPrototypeOf(p) === Object.prototype).length;
    if (version === 5) expect(plain).toBe(0);
    else expect(plain).toBeGreaterThan(count / 3);
  });

  it.each([61, 62, 63, ...extraSeed])('seed %i: follows the protocol version (and bridge mode) of each CONNECT, as mqtt-packet does', (seed) => {
    const rand = prng(seed);
    const frames: Buffer[] = [];
    for (let segment = 0; segment < 12; segment++) {
      const version = pick(rand, [3, 4, 5]);
      const bridge = version !== 5 && chance(rand, 0.3);
      frames.push(encode(randomConnect(rand, version, bridge), version));
      for (let i = int(rand, 60); i > 0; i--) frames.push(encode(randomPacket(rand, version, chance(rand, 0.7) ? 'toServer' : 'toClient', false), version));
    }
    const stream = Buffer.concat(frames);
    const expected = oracle(stream, 4);
    expect(expected.error).toBeNull();
    const actual = read(stream, 4, cuts(rand, stream.length, 'mixed'));
    expect(actual.error).toBeNull();
    expectSamePackets(seed, actual.packets, expected.packets);
  });
});

describe('PacketReader on mutated and random streams', () => {
  /** A short valid stream with a few bytes changed, inserted or removed. */
  function mutated(rand: Rand, version: number): Buffer {
    const frames: Buffer[] = [];
    for (let i = 1 + int(rand, 12); i > 0; i--) frames.push(encode(randomPacket(rand, version, chance(rand, 0.7) ? 'toServer' : 'toClient', true), version));
    const b = [...Buffer.concat(frames)];
    for (let m = 1 + int(rand, 3); m > 0; m--) {
      const at = int(rand, b.length);
      const r = rand();
      if (r < 0.5) b[at] = int(rand, 256);
      else if (r < 0.7) b[at] ^= 1 << int(rand, 8);
      else if (r < 0.85) b.splice(at, 0, int(rand, 256));
      else b.splice(at, 1);
    }
    return Buffer.from(b);
  }

  /**
   * One deliberate difference shows up here: an MQTT 5 DISCONNECT (or AUTH) with remaining length 0 or 1
   * may omit its reason code / property length (§3.14.2.1, §3.14.2.2.1), but mqtt-packet, when more bytes
   * are buffered, reads them from the next frame (`_parseDisconnect` tests the buffered length, not the
   * packet's) and then usually fails. The reader reads the frame alone: DISCONNECT reason 0, no properties.
   */
  const omitsItsTail = (p: MqttPacket | undefined): boolean => p !== undefined && (p.cmd === 'disconnect' || p.cmd === 'auth') && (p.length as number) < 2;

  it.each([71, 72, 73, ...extraSeed])('seed %i: never throws, and fails wherever mqtt-packet fails', (seed) => {
    const rand = prng(seed);
    const problems: unknown[] = [];
    let bothFailed = 0;
    let onlyReaderFailed = 0;
    let tailOmitted = 0;
    for (let iteration = 0; iteration < 600; iteration++) {
      const version = pick(rand, [3, 4, 4, 5]);
      const stream = mutated(rand, version);
      const expected = oracle(stream, version);
      let got: Outcome;
      try {
        got = read(stream, version, cuts(rand, stream.length, 'mixed'));
      } catch (err) {
        problems.push({ seed, iteration, threw: String(err) });
        continue;
      }
      // Whatever we emitted, mqtt-packet emitted the same, up to the exception above.
      const agreeing = identicalPrefix(got.packets, expected.packets);
      if (agreeing < got.packets.length && version === 5 && omitsItsTail(got.packets[agreeing])) {
        tailOmitted++;
        continue;
      }
      if (agreeing !== got.packets.length) problems.push({ seed, iteration, stream: stream.toString('hex'), agreeing, emitted: got.packets.length });
      if (expected.error !== null) {
        // mqtt-packet failed on some frame: we fail too, on that frame or earlier (we are stricter).
        if (got.error === null || got.packets.length > expected.packets.length) {
          problems.push({ seed, iteration, stream: stream.toString('hex'), oracle: expected.error.message, reader: got.error?.message ?? 'no error' });
        }
        bothFailed++;
      } else if (got.error !== null) onlyReaderFailed++;
    }
    expect(problems).toEqual([]);
    // The mutations must actually exercise both outcomes.
    expect(bothFailed).toBeGreaterThan(100);
    expect(onlyReaderFailed).toBeGreaterThan(5);
    expect(tailOmitted).toBeLessThan(20);
  });

  /** How many leading packets are identical. */
  function identicalPrefix(actual: MqttPacket[], expected: MqttPacket[]): number {
    const a = json(actual);
    const e = json(expected);
    let i = 0;
    while (i < a.length && a[i] === e[i]) i++;
    return i;
  }

  it('reads an MQTT 5 DISCONNECT without reason code from its own frame, where mqtt-packet reads the next one', () => {
    const stream = Buffer.concat([Buffer.from([0xe0, 0x00]), publish('t', 'x', 0, 5)]);
    const { packets, error } = feed([stream], { version: 5 });
    expect(error).toBeNull();
    expect(packets.map((p) => [p.cmd, p.reasonCode])).toEqual([
      ['disconnect', 0],
      ['publish', undefined],
    ]);
    expect(oracle(stream, 5).error?.message).toBe('Invalid disconnect reason code'); // it took 0x30 for one
  });

  it('never throws on random bytes, in any chunking', () => {
    const rand = prng(81);
    let errors = 0;
    for (let iteration = 0; iteration < 1500; iteration++) {
      const junk = bytes(rand, 64);
      if (chance(rand, 0.5) && junk.length > 0) junk[0] = pick(rand, [0x30, 0x32, 0x40, 0x62, 0x82, 0x10, 0xc0, 0xe0]); // plausible first bytes
      let out: Outcome | undefined;
      expect(() => {
        out = read(junk, pick(rand, [3, 4, 5]), cuts(rand, junk.length, 'mixed'));
      }).not.toThrow();
      if ((out as Outcome).error !== null) errors++;
    }
    expect(errors).toBeGreaterThan(500);
  });
});

describe('PacketReader size guard', () => {
  it('fails on the announced remaining length alone, before any of the body arrives', () => {
    const header = Buffer.from([0x30, 0x80, 0x80, 0x04]); // PUBLISH, remaining length 65,536
    const { packets, error } = feed([header], { max: 65_535 });
    expect(error).toBeInstanceOf(PacketTooLargeError);
    expect(error).toMatchObject({ announced: 65_536, limit: 65_535 });
    expect(packets).toEqual([]);
  });

  it('fails on a header split across chunks, for packets mqtt-packet parses too', () => {
    // SUBSCRIBE announcing 200 bytes; the last length byte arrives in the second chunk.
    const { error } = feed([Buffer.from([0x82, 0xc8]), Buffer.from([0x01])], { max: 199 });
    expect(error).toBeInstanceOf(PacketTooLargeError);
  });

  it('reads the limit anew for every packet', () => {
    let max = 1000;
    const reader = new PacketReader(() => max);
    const packets: MqttPacket[] = [];
    const sink = { onPacket: (p: MqttPacket) => void packets.push(p) };
    expect(reader.push(publish('t', Buffer.alloc(500)), sink)).toBeNull();
    max = 100;
    expect(reader.push(publish('t', Buffer.alloc(500)), sink)).toBeInstanceOf(PacketTooLargeError);
    expect(packets).toHaveLength(1);
  });

  it('accepts a packet exactly at the limit', () => {
    const frame = publish('t', Buffer.alloc(97)); // 2 + 1 + 97 = 100
    const { packets, error } = feed([frame], { max: 100 });
    expect(error).toBeNull();
    expect(packets[0]).toMatchObject({ cmd: 'publish', length: 100 });
  });

  it('fails on a remaining length longer than four bytes, whole or split', () => {
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(feed([bad]).error).toBeInstanceOf(MalformedPacketError);
    expect(feed([bad.subarray(0, 2), bad.subarray(2, 3), bad.subarray(3)]).error).toBeInstanceOf(MalformedPacketError);
    expect(oracle(bad, 4).error).not.toBeNull(); // mqtt-packet agrees
  });
});

describe('PacketReader string checks [MQTT-1.5.3]', () => {
  const illFormed = Buffer.from([0x61, 0xff, 0x62]); // 'a', a byte that never occurs in UTF-8, 'b'
  const surrogate = Buffer.from([0x61, 0xed, 0xa0, 0x80]); // U+D800 encoded: ill-formed
  const nul = Buffer.from([0x61, 0x00, 0x62]);

  it.each([
    ['ill-formed UTF-8', 4, illFormed],
    ['a UTF-16 surrogate', 4, surrogate],
    ['U+0000', 4, nul],
    ['ill-formed UTF-8', 5, illFormed],
    ['U+0000', 5, nul],
  ] as const)('fails a PUBLISH whose topic has %s (MQTT %i), without emitting it', (_what, version, topic) => {
    const frames = Buffer.concat([publish('ok', 'x', 1, version), publish(topic, 'payload', 1, version)]);
    const { packets, error } = feed([frames], { version });
    expect(error).toBeInstanceOf(MalformedPacketError);
    expect(packets.map((p) => p.topic)).toEqual(['ok']);
    // mqtt-packet alone would route it as 'a\uFFFDb' / 'a\u0000b'
    expect(oracle(frames, version).packets).toHaveLength(2);
  });

  it('accepts well-formed non-ASCII topics, a genuine U+FFFD included', () => {
    const { packets, error } = feed([publish('a/\uFFFD/é/😀', 'x')]);
    expect(error).toBeNull();
    expect(packets[0].topic).toBe('a/\uFFFD/é/😀');
  });

  it.each([3, 4, 5])('fails a CONNECT whose ClientId has U+0000 or ill-formed UTF-8 (MQTT %i)', (version) => {
    for (const clientId of [Buffer.from('dev\u0000ice'), Buffer.from([0x64, 0xc3, 0x28])]) {
      const frame = encode({ cmd: 'connect', protocolId: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clientId, clean: true, keepalive: 60 }, version);
      const { packets, error, reader } = feed([frame]);
      expect(error).toBeInstanceOf(MalformedPacketError);
      expect(packets).toEqual([]);
      expect(reader.protocolVersion).toBe(4); // the failed CONNECT did not switch the reader
    }
  });

  it('fails a CONNECT whose username or will topic is ill-formed', () => {
    const base = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'c', clean: true, keepalive: 60 };
    for (const frame of [
      encode({ ...base, username: Buffer.from([0xc0, 0xaf]) }, 4), // overlong '/'
      encode({ ...base, will: { topic: 'w\u0000', payload: Buffer.alloc(0), qos: 0, retain: false } }, 4),
    ]) {
      expect(feed([frame]).error).toBeInstanceOf(MalformedPacketError);
    }
  });

  it.each([4, 5])('fails a SUBSCRIBE or UNSUBSCRIBE with a bad filter, without emitting it (MQTT %i)', (version) => {
    // generate() takes only string filters: write a good one of the same length and patch its bytes.
    for (const cmd of ['subscribe', 'unsubscribe'] as const) {
      for (const bad of [illFormed, nul]) {
        const packet =
          cmd === 'subscribe'
            ? { cmd, messageId: 3, subscriptions: [{ topic: 'ok/#', qos: 1 }, { topic: 'zzz', qos: 0 }] }
            : { cmd, messageId: 3, unsubscriptions: ['ok/#', 'zzz'] };
        const frame = encode(packet, version);
        const at = frame.indexOf('zzz');
        bad.copy(frame, at);
        const { packets, error } = feed([frame], { version });
        expect(error).toBeInstanceOf(MalformedPacketError);
        expect(packets).toEqual([]);
      }
    }
  });
});

describe('PacketReader fixed-header and length rules', () => {
  const cases: Array<[string, number[], boolean]> = [
    // [what, frame bytes, does mqtt-packet also fail it?]
    ['PUBREL with flags 0', [0x60, 0x02, 0x00, 0x01], true],
    ['PUBACK with flags 2', [0x42, 0x02, 0x00, 0x01], true],
    ['PINGREQ with a flag', [0xc1, 0x00], true],
    ['DISCONNECT with a flag', [0xe8, 0x00], true],
    ['PUBLISH with QoS 3', [0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01], true],
    ['reserved type 0', [0x00, 0x00], true],
    ['PUBLISH with DUP at QoS 0 [MQTT-3.3.1-2]', [0x38, 0x03, 0x00, 0x01, 0x74], false],
    ['PUBLISH shorter than its topic', [0x30, 0x03, 0x00, 0x05, 0x74], true],
    ['PUBLISH with 1 byte of remaining length', [0x30, 0x01, 0x00], true],
    ['QoS 1 PUBLISH without a packet identifier', [0x32, 0x03, 0x00, 0x01, 0x74], false],
    ['QoS 1 PUBLISH with half a packet identifier', [0x32, 0x04, 0x00, 0x01, 0x74, 0x00], false],
    ['QoS 2 PUBLISH with packet identifier 0 [MQTT-2.3.1-1]', [0x34, 0x05, 0x00, 0x01, 0x74, 0x00, 0x00], false],
    ['PUBACK with remaining length 3', [0x40, 0x03, 0x00, 0x01, 0x00], false],
    ['PUBCOMP with remaining length 1', [0x70, 0x01, 0x00], false],
    ['PUBREC with remaining length 0', [0x50, 0x00], false],
    ['PINGREQ with remaining length 1', [0xc0, 0x01, 0x00], false],
    ['DISCONNECT with remaining length 2', [0xe0, 0x02, 0x00, 0x00], false],
    ['SUBSCRIBE without a filter [MQTT-3.8.3-3]', [0x82, 0x02, 0x00, 0x01], false],
    ['UNSUBSCRIBE without a filter [MQTT-3.10.3-2]', [0xa2, 0x02, 0x00, 0x01], false],
    ['SUBSCRIBE with packet identifier 0', [0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 0x74, 0x00], false],
    ['CONNACK cut before its return code', [0x20, 0x01, 0x00], false],
  ];

  it.each(cases)('fails %s (and, after it, emits nothing)', (_what, bytes, oracleFails) => {
    const frame = Buffer.from(bytes);
    const ping = Buffer.from([0xc0, 0x00]);
    const { packets, error } = feed([Buffer.concat([ping, frame, ping])]);
    expect(error).toBeInstanceOf(MalformedPacketError);
    expect(packets.map((p) => p.cmd)).toEqual(['pingreq']);
    // Where mqtt-packet is lenient, the difference is deliberate (see the file comment of packet-reader.ts).
    expect(oracle(Buffer.concat([ping, frame, ping]), 4).error !== null).toBe(oracleFails);
  });

  it.each([
    ['AUTH cut inside its property length', [0xf0, 0x02, 0x18, 0xba]],
    ['SUBACK cut inside its property length', [0x90, 0x04, 0x00, 0x01, 0x87, 0xa2]],
    ['PUBLISH without its property length', [0x30, 0x03, 0x00, 0x01, 0x74]],
    ['PUBACK with half a packet identifier', [0x40, 0x01, 0x00]],
    ['CONNACK cut inside a 4-byte property', [0x20, 0x05, 0x00, 0x00, 0x03, 0x11, 0x00]],
  ])('fails an MQTT 5 %s (mqtt-packet would take the missing bytes from the next frame)', (_what, bytes) => {
    const ping = Buffer.from([0xc0, 0x00]);
    const { packets, error } = feed([Buffer.concat([ping, Buffer.from(bytes), ping])], { version: 5 });
    expect(error).toBeInstanceOf(MalformedPacketError);
    expect(packets.map((p) => p.cmd)).toEqual(['pingreq']);
  });

  it('accepts an MQTT 5 DISCONNECT that omits its reason code or property length (§3.14.2.1)', () => {
    const { packets, error } = feed([Buffer.from([0xe0, 0x00, 0xe0, 0x01, 0x04])], { version: 5 });
    expect(error).toBeNull();
    expect(packets.map((p) => [p.cmd, p.reasonCode, p.properties])).toEqual([
      ['disconnect', 0, undefined],
      ['disconnect', 4, undefined],
    ]);
  });

  it('fails a bad first byte as soon as it arrives, before the rest of the header', () => {
    expect(feed([Buffer.from([0x61])]).error).toBeInstanceOf(MalformedPacketError);
    // An HTTP request on the MQTT port: 'G' is PUBACK with flags 7.
    expect(feed([Buffer.from('GET / HTTP/1.1\r\n')]).error).toBeInstanceOf(MalformedPacketError);
  });

  it('accepts the fast-path types with exactly the fields and values mqtt-packet gives', () => {
    const frames = [
      encode({ cmd: 'publish', topic: 'a/b', payload: 'hi', qos: 2, messageId: 9, retain: true, dup: true }, 4),
      encode({ cmd: 'pubrel', messageId: 65535 }, 4),
      encode({ cmd: 'pingreq' }, 4),
      encode({ cmd: 'disconnect' }, 4),
    ];
    const { packets, error } = feed(frames);
    expect(error).toBeNull();
    expect(packets).toStrictEqual([
      { cmd: 'publish', retain: true, qos: 2, dup: true, length: 9, topic: 'a/b', payload: Buffer.from('hi'), messageId: 9 },
      { cmd: 'pubrel', retain: false, qos: 1, dup: false, length: 2, topic: null, payload: null, messageId: 65535 },
      { cmd: 'pingreq', retain: false, qos: 0, dup: false, length: 0, topic: null, payload: null, messageId: undefined },
      { cmd: 'disconnect', retain: false, qos: 0, dup: false, length: 0, topic: null, payload: null, messageId: undefined },
    ]);
    expect(packets.map((p) => Object.keys(p).join())).toEqual(Array(4).fill('cmd,retain,qos,dup,length,topic,payload,messageId'));
  });
});

describe('PacketReader buffering and ownership', () => {
  it('copies the payload: changing the chunk after push changes nothing, whole or split', () => {
    const frame = publish('t/1', Buffer.from('payload!'), 1);
    for (const chunks of [[Buffer.from(frame)], [Buffer.from(frame.subarray(0, 5)), Buffer.from(frame.subarray(5))]]) {
      const { packets } = feed(chunks);
      for (const c of chunks) c.fill(0);
      expect(packets[0].payload).toEqual(Buffer.from('payload!'));
      expect(packets[0].topic).toBe('t/1');
    }
  });

  it('copies MQTT 5 and CONNECT frames it hands to mqtt-packet (payload, will payload, password)', () => {
    const v5 = Buffer.from(publish('t', Buffer.from('five'), 1, 5));
    const connect = Buffer.from(encode({ cmd: 'connect', clientId: 'c', will: { topic: 'w', payload: Buffer.from('will'), qos: 1, retain: false }, username: 'u', password: Buffer.from('pw') }, 4));
    const p5 = feed([v5], { version: 5 }).packets[0];
    const pc = feed([connect]).packets[0];
    v5.fill(0);
    connect.fill(0);
    expect(p5.payload).toEqual(Buffer.from('five'));
    expect(pc.will.payload).toEqual(Buffer.from('will'));
    expect(pc.password).toEqual(Buffer.from('pw'));
  });

  it('keeps its own copy of an incomplete frame, not a view of the chunk', () => {
    const frame = publish('topic', Buffer.alloc(5000, 7), 1);
    const reader = new PacketReader(() => 1e6);
    const packets: MqttPacket[] = [];
    const sink = { onPacket: (p: MqttPacket) => void packets.push(p) };
    // Cuts inside the fixed header, inside the body, and a reused chunk buffer between pushes.
    const buf = Buffer.alloc(frame.length);
    for (const [from, to] of [
      [0, 2],
      [2, 3],
      [3, 100],
      [100, 4999],
      [4999, frame.length],
    ]) {
      frame.copy(buf, 0, from, to);
      expect(reader.push(buf.subarray(0, to - from), sink)).toBeNull();
      buf.fill(0xee);
    }
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({ topic: 'topic', messageId: 7, length: frame.length - 3 });
    expect((packets[0].payload as Buffer).equals(Buffer.alloc(5000, 7))).toBe(true);
  });

  it('stops at onPacket returning false and drops the rest, also of later pushes', () => {
    const frames = Buffer.concat([publish('a', 'x'), publish('b', 'x'), publish('c', 'x')]);
    const reader = new PacketReader(() => 1e6);
    const seen: string[] = [];
    const sink = { onPacket: (p: MqttPacket) => (seen.push(p.topic as string), p.topic !== 'b') };
    expect(reader.push(frames, sink)).toBeNull();
    expect(reader.push(publish('d', 'x'), sink)).toBeNull();
    expect(seen).toEqual(['a', 'b']);
  });

  it('refuses to be fed after an error, and after onPacket threw', () => {
    const reader = new PacketReader(() => 1e6);
    const sink = { onPacket: () => undefined };
    expect(reader.push(Buffer.from([0x00, 0x00]), sink)).toBeInstanceOf(Error);
    expect(reader.push(publish('a', 'x'), sink)).toBeInstanceOf(Error);

    const other = new PacketReader(() => 1e6);
    const boom = new Error('sink failed');
    expect(() =>
      other.push(publish('a', 'x'), {
        onPacket: () => {
          throw boom;
        },
      }),
    ).toThrow(boom);
    expect(other.push(publish('a', 'x'), sink)).toBeInstanceOf(Error);
  });

  it('switches to MQTT 5 on a v5 CONNECT, and the owner can still set the version in onPacket', () => {
    const connect5 = encode({ cmd: 'connect', protocolVersion: 5, clientId: 'c', properties: { sessionExpiryInterval: 10 } }, 5);
    const pub5 = publish('t', 'x', 1, 5);
    const a = feed([Buffer.concat([connect5, pub5])]);
    expect(a.error).toBeNull();
    expect(a.reader.protocolVersion).toBe(5);
    expect(a.packets[1]).toMatchObject({ cmd: 'publish', topic: 't', messageId: 7 });

    const reader = new PacketReader(() => 1e6);
    const cmds: string[] = [];
    const sink = {
      onPacket: (p: MqttPacket) => {
        cmds.push(p.cmd);
        if (p.cmd === 'connect') reader.protocolVersion = 4; // e.g. an owner that only speaks 3.1.1
      },
    };
    // Read as 3.1.1, the v5 PUBLISH's property length byte becomes part of the payload: no error either way.
    expect(reader.push(Buffer.concat([connect5, pub5]), sink)).toBeNull();
    expect(reader.protocolVersion).toBe(4);
    expect(cmds).toEqual(['connect', 'publish']);
  });

  it("does not let one connection's CONNECT or failure affect another's packets (shared parsers)", () => {
    const subscribe = encode({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 1 }] }, 4);
    const bridge = feed([encode({ cmd: 'connect', clientId: 'b', bridgeMode: true }, 4), subscribe]);
    // mqtt-packet reads a bridge's SUBSCRIBE with the v5-style options: so does the bridge's reader...
    expect(bridge.packets[1].subscriptions).toEqual([{ topic: 'x', qos: 1, rh: 0, rap: true, nl: true }]);
    // ...but not the next connection's, and a parse failure on one connection leaves the next one clean.
    expect(feed([subscribe]).packets[0].subscriptions).toEqual([{ topic: 'x', qos: 1 }]);
    const broken = Buffer.from(subscribe);
    broken[broken.length - 1] = 3; // QoS 3
    expect(feed([broken]).error).toBeInstanceOf(MalformedPacketError);
    expect(feed([subscribe]).packets[0].subscriptions).toEqual([{ topic: 'x', qos: 1 }]);
  });
});
