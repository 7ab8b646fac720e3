import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import { BrokerFixture, connectPacket, inbox, rawExchange, sleep, waitFor, type Tenant } from './broker-fixture.js';

/** MQTT remaining length (variable byte integer). */
function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A UTF-8 string field with its 2-byte length, from raw bytes (so ill-formed ones can be sent). */
function str(bytes: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function frame(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

const publishQos0 = (topic: Buffer, payload = 'x'): Buffer => frame(0x30, Buffer.concat([str(topic), Buffer.from(payload)]));
const subscribe = (filter: Buffer): Buffer => frame(0x82, Buffer.concat([Buffer.from([0, 1]), str(filter), Buffer.from([1])]));
const unsubscribe = (filter: Buffer): Buffer => frame(0xa2, Buffer.concat([Buffer.from([0, 2]), str(filter)]));
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const bytes = (prefix: string, ...raw: number[]): Buffer => Buffer.concat([utf8(prefix), Buffer.from(raw)]);

describe('broker refuses ill-formed UTF-8 strings (MQTT 3.1.1 §1.5.3)', () => {
  let f: BrokerFixture;
  let t: Tenant;

  beforeAll(async () => {
    f = await BrokerFixture.start();
    t = await f.tenant(['T1']);
  });

  afterAll(async () => {
    await f.stop();
  });

  const cid = 'GID_dev@@@utf8';
  const goodConnect = (): Buffer => connectPacket({ clientId: cid, username: `Signature|${t.key.id}|${t.instanceId}`, password: hmacSha1Base64(t.key.secret, cid) });

  // Each one, before the fix, was decoded with U+FFFD in place of the bad bytes and then routed/subscribed.
  const badTopics: [string, Buffer][] = [
    ['a byte that never occurs in UTF-8 (0xFF)', bytes('T1/', 0xff)],
    ['a lone continuation byte', bytes('T1/', 0x80, 0x61)],
    ['a truncated 3-byte sequence', bytes('T1/', 0xe6, 0xb8)],
    ['an overlong encoding of "/"', bytes('T1/a', 0xc0, 0xaf, 0x62)],
    ['an encoded UTF-16 surrogate', bytes('T1/', 0xed, 0xa0, 0x80)],
    ['a code point above U+10FFFF', bytes('T1/', 0xf4, 0x90, 0x80, 0x80)],
    ['U+0000', bytes('T1/a', 0x00, 0x62)],
  ];

  it('should close a connection that publishes to an ill-formed topic, route nothing, and keep serving the others', async () => {
    const bystander = await f.connect(t, 'GID_dev@@@bystander');
    const got = inbox(bystander);
    await bystander.subscribeAsync('T1/#', { qos: 0 });
    for (const [name, topic] of badTopics) {
      const start = Date.now();
      // PINGREQ after the PUBLISH: a connection left open would answer it with PINGRESP.
      const r = await rawExchange(f.port, [goodConnect(), publishQos0(topic, name), Buffer.from([0xc0, 0x00])], 3000);
      const answered = r === 'closed' ? [] : r.map((p) => p.cmd).filter((c) => c !== 'connack');
      expect({ name, answered, closedBeforeTimeout: Date.now() - start < 2000 }).toEqual({ name, answered: [], closedBeforeTimeout: true });
    }
    await sleep(100);
    expect(got).toEqual([]);
    // Well-formed non-ASCII topics, including a genuinely encoded U+FFFD, pass.
    const pub = await f.connect(t, 'GID_dev@@@utf8-pub');
    for (const topic of ['T1/温度/ü', 'T1/\uFFFD', 'T1/😀']) await pub.publishAsync(topic, 'ok', { qos: 1 });
    await waitFor(() => got.length === 3);
    expect(got.map((m) => m.topic)).toEqual(['T1/温度/ü', 'T1/\uFFFD', 'T1/😀']);
    expect(bystander.connected).toBe(true);
    bystander.end(true);
    pub.end(true);
  });

  it('should close a connection that subscribes or unsubscribes with an ill-formed filter, without SUBACK or UNSUBACK', async () => {
    for (const [name, filter] of [...badTopics, ['a wildcard filter with 0xFF', bytes('T1/+/', 0xff)] as [string, Buffer]]) {
      for (const [kind, packet] of [
        ['SUBSCRIBE', subscribe(filter)],
        ['UNSUBSCRIBE', unsubscribe(filter)],
      ] as const) {
        const r = await rawExchange(f.port, [goodConnect(), packet, Buffer.from([0xc0, 0x00])], 3000);
        const answered = r === 'closed' ? [] : r.map((p) => p.cmd).filter((c) => c !== 'connack');
        expect({ name, kind, answered }).toEqual({ name, kind, answered: [] });
      }
    }
    // The control: the same exchange with a well-formed filter is answered.
    const ok = await rawExchange(f.port, [goodConnect(), subscribe(utf8('T1/ü/#'))], 3000, (p) => p.some((x) => x.cmd === 'suback'));
    expect(ok === 'closed' ? [] : ok.map((p) => p.cmd)).toEqual(['connack', 'suback']);
  });

  it('should close a CONNECT whose ClientId or username is ill-formed, without CONNACK', async () => {
    const password = utf8(hmacSha1Base64(t.key.secret, cid));
    const connect = (clientId: Buffer, username: Buffer): Buffer =>
      frame(0x10, Buffer.concat([str(utf8('MQTT')), Buffer.from([4, 0xc2, 0, 30]), str(clientId), str(username), str(password)]));
    const username = utf8(`Signature|${t.key.id}|${t.instanceId}`);
    // The control: well-formed, it is accepted.
    expect(await rawExchange(f.port, [connect(utf8(cid), username)], 3000, (p) => p.some((x) => x.cmd === 'connack'))).toEqual([
      expect.objectContaining({ cmd: 'connack', returnCode: 0 }),
    ]);
    expect(await rawExchange(f.port, [connect(bytes(cid, 0xff), username)], 3000)).toBe('closed');
    expect(await rawExchange(f.port, [connect(utf8(cid), bytes('Signature|', 0xc3))], 3000)).toBe('closed');
  });
});
