import mqttPacket from 'mqtt-packet';
import {
  CORE_KINDS,
  closeAll,
  connectClient,
  connectPacket,
  expectedFor,
  frame,
  pub,
  publishPacket,
  QUIET_MS,
  RawClient,
  type RunningCore,
  sleep,
  startCore,
  str,
  subscribe,
} from './core-harness.js';

// Malformed input (MQTT 3.1.1 §1.5.3, §2.2, §4.8: the receiver of a malformed packet closes the
// connection) must cost only the offending connection: every case checks that nothing was routed from
// it and that a bystander on the same core still gets its messages.

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const raw = (...bytes: number[]): Buffer => Buffer.from(bytes);
const publishRaw = (firstByte: number, topic: Buffer, ...rest: Buffer[]): Buffer => frame(firstByte, str(topic), ...rest);

interface Case {
  name: string;
  /** Sent right after the CONNACK (or instead of CONNECT when `beforeConnect`). */
  bytes: Buffer;
  beforeConnect?: boolean;
  /** The spec's answer: closed with nothing more sent (the default), unless a deviation says otherwise. */
  deviation?: 'zeroPacketIdAccepted' | 'passwordWithoutUsernameAccepted' | 'pingreqBodyAccepted';
}

const cases: Case[] = [
  { name: 'bytes that are no MQTT at all, instead of CONNECT', bytes: utf8('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), beforeConnect: true },
  { name: 'a reserved packet type (0)', bytes: raw(0x00, 0x00) },
  { name: 'a reserved packet type (15)', bytes: raw(0xf0, 0x00) },
  { name: 'a PUBLISH with QoS 3 [MQTT-3.3.1-4]', bytes: publishRaw(0x36, utf8('m/x'), raw(0, 1), utf8('x')) },
  { name: 'a PUBLISH topic with ill-formed UTF-8 [MQTT-1.5.3-1]', bytes: publishRaw(0x30, Buffer.concat([utf8('m/'), raw(0xff)]), utf8('x')) },
  { name: 'a PUBLISH topic with an encoded surrogate [MQTT-1.5.3-1]', bytes: publishRaw(0x30, Buffer.concat([utf8('m/'), raw(0xed, 0xa0, 0x80)]), utf8('x')) },
  { name: 'a PUBLISH topic with U+0000 [MQTT-1.5.3-2]', bytes: publishRaw(0x30, Buffer.concat([utf8('m/a'), raw(0x00)]), utf8('x')) },
  { name: 'a PUBLISH whose topic length runs past the packet', bytes: frame(0x30, raw(0, 50), utf8('m/x')) },
  { name: 'a QoS 1 PUBLISH with packet identifier 0 [MQTT-2.3.1-1]', bytes: publishRaw(0x32, utf8('m/x'), raw(0, 0), utf8('x')), deviation: 'zeroPacketIdAccepted' },
  { name: 'a SUBSCRIBE requesting QoS 3 [MQTT-3.8.3-4]', bytes: frame(0x82, raw(0, 1), str('m/#'), raw(3)) },
  { name: 'a SUBSCRIBE with reserved flags 0000 [MQTT-3.8.1-1]', bytes: frame(0x80, raw(0, 1), str('m/#'), raw(0)) },
  { name: 'a PUBREL with reserved flags 0000 [MQTT-3.6.1-1]', bytes: raw(0x60, 0x02, 0x00, 0x01) },
  { name: 'a SUBSCRIBE filter with ill-formed UTF-8 [MQTT-1.5.3-1]', bytes: frame(0x82, raw(0, 1), str(Buffer.concat([utf8('m/'), raw(0xc3)])), raw(0)) },
  { name: 'a remaining length of five bytes', bytes: raw(0x30, 0xff, 0xff, 0xff, 0xff, 0x01) },
  { name: 'a PINGREQ with a body (§3.12.1: remaining length 0)', bytes: raw(0xc0, 0x01, 0x00), deviation: 'pingreqBodyAccepted' },
  {
    name: 'a CONNECT with will QoS but no will flag [MQTT-3.1.2-13]',
    bytes: frame(0x10, str('MQTT'), raw(4, 0x0a, 0, 0), str('willqos')),
    beforeConnect: true,
  },
  {
    name: 'a CONNECT with a password but no username [MQTT-3.1.2-22]',
    bytes: frame(0x10, str('MQTT'), raw(4, 0x42, 0, 0), str('pwonly'), str('secret')),
    beforeConnect: true,
    deviation: 'passwordWithoutUsernameAccepted',
  },
];

async function withBystander(b: RunningCore): Promise<RawClient> {
  const bystander = await connectClient(b.port, { clientId: 'bystander' });
  expect(await subscribe(bystander, [['#', 0]])).toEqual([0]);
  return bystander;
}

/** The bystander got exactly what was published after the violation: the core still routes. */
async function expectStillRouting(b: RunningCore, bystander: RawClient): Promise<void> {
  const p = await connectClient(b.port, { clientId: 'after' });
  p.send(publishPacket('after/x', 'still routing'));
  expect(await bystander.next()).toEqual(pub('after/x', 'still routing'));
}

describe.each(CORE_KINDS)('%s core: malformed input', (kind) => {
  afterEach(closeAll);

  it.each(cases)('closes a connection that sends $name, routes nothing from it, keeps serving others', async ({ bytes, beforeConnect, deviation }) => {
    const b = await startCore(kind);
    const bystander = await withBystander(b);
    const c = beforeConnect ? await RawClient.open(b.port, 'offender') : await connectClient(b.port, { clientId: 'offender' });
    // A PINGREQ behind the bad bytes: an open connection would answer it.
    c.send(bytes, { cmd: 'pingreq' });
    await c.closed(deviation ? 500 : undefined).catch(() => undefined);
    // Sorted: a PINGRESP may overtake the answer to the packet before it.
    const answered = c.transcript.slice(beforeConnect ? 0 : 1).sort((x, y) => x.cmd.localeCompare(y.cmd));
    const observed = { closed: c.isClosed, answered };
    const spec = { closed: true, answered: [] };
    expect(observed).toEqual(deviation ? expectedFor(kind, deviation, spec) : spec);
    await sleep(QUIET_MS);
    // Only a packet the core accepted may be routed (aedes routes the one with packet identifier 0).
    const routed = bystander.pending.map((m) => m.topic);
    expect(routed).toEqual(deviation === 'zeroPacketIdAccepted' && kind === 'aedes' ? ['m/x'] : []);
    while (bystander.pending.length > 0) await bystander.next();
    await expectStillRouting(b, bystander);
  });

  it('copes with a packet cut off by the client closing the socket, and publishes its will', async () => {
    const b = await startCore(kind);
    const bystander = await withBystander(b);
    const c = await RawClient.open(b.port, 'cut');
    const whole = publishRaw(0x30, utf8('m/cut'), utf8('never complete'));
    c.send(connectPacket({ clientId: 'cut', will: { topic: 'will/cut', payload: 'lost' } }), whole.subarray(0, whole.length - 4));
    expect(await c.next()).toEqual({ cmd: 'connack', returnCode: 0, sessionPresent: false });
    c.socket.end();
    await c.closed();
    expect(await bystander.next()).toEqual(pub('will/cut', 'lost'));
    await expectStillRouting(b, bystander);
  });

  it('copes with bytes arriving one at a time', async () => {
    const b = await startCore(kind);
    const bystander = await withBystander(b);
    const c = await RawClient.open(b.port, 'slow');
    const bytes = Buffer.concat([
      mqttPacket.generate(connectPacket({ clientId: 'slow' })),
      publishRaw(0x30, utf8('m/slow'), utf8('byte by byte')),
      raw(0xc0, 0x00),
    ]);
    for (const byte of bytes) {
      c.socket.write(Buffer.from([byte]));
      await sleep(1);
    }
    expect(await c.nextN(2)).toEqual([{ cmd: 'connack', returnCode: 0, sessionPresent: false }, { cmd: 'pingresp' }]);
    expect(await bystander.next()).toEqual(pub('m/slow', 'byte by byte'));
    await expectStillRouting(b, bystander);
  });
});
