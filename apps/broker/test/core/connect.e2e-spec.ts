import type { CoreClient } from '../../src/core/types.js';
import {
  CORE_KINDS,
  closeAll,
  connectClient,
  connectPacket,
  expectedFor,
  frame,
  openWithConnect,
  type Outgoing,
  pub,
  publishPacket,
  RawClient,
  sleep,
  startCore,
  str,
  subscribe,
} from './core-harness.js';

// CONNECT / CONNACK, the first-packet rules, pipelining before CONNACK, connectTimeout, PINGREQ and
// DISCONNECT (MQTT 3.1.1 §3.1, §3.2, §3.12-3.14). aedes: test/connect.js, test/basic.js, test/keep-alive.js.

/** What a connection got before it was closed (or the wait ran out): its packets and whether it closed. */
async function connackThenClose(c: RawClient): Promise<{ packets: unknown[]; closed: boolean }> {
  try {
    await c.closed(1000);
  } catch {
    // still open: recorded below
  }
  return { packets: c.transcript, closed: c.isClosed };
}

describe.each(CORE_KINDS)('%s core: CONNECT', (kind) => {
  afterEach(closeAll);

  it('answers a 3.1.1 CONNECT with CONNACK 0, sessionPresent false, and serves the connection', async () => {
    const b = await startCore(kind);
    const c = await openWithConnect(b.port, { clientId: 'c1' });
    expect(await c.next()).toEqual({ cmd: 'connack', returnCode: 0, sessionPresent: false });
    c.send({ cmd: 'pingreq' });
    expect(await c.next()).toEqual({ cmd: 'pingresp' });
  });

  it("accepts MQTT 3.1 ('MQIsdp', level 3)", async () => {
    const b = await startCore(kind);
    const c = await openWithConnect(b.port, { clientId: 'v3', protocolVersion: 3 });
    expect(await c.next()).toEqual({ cmd: 'connack', returnCode: 0, sessionPresent: false });
    expect(await subscribe(c, [['v3/t', 1]])).toEqual([1]);
    c.send(publishPacket('v3/t', 'hi', { qos: 1, messageId: 9 }));
    const got = await c.nextN(2);
    expect(got).toContainEqual({ cmd: 'puback', messageId: 9 });
    expect(got).toContainEqual(pub('v3/t', 'hi', { qos: 1 }));
  });

  it('accepts a persistent session the first time with sessionPresent false [MQTT-3.2.2-3]', async () => {
    const b = await startCore(kind);
    const c = await openWithConnect(b.port, { clientId: 'fresh', clean: false });
    expect(await c.next()).toEqual({ cmd: 'connack', returnCode: 0, sessionPresent: false });
  });

  it('accepts an empty ClientId with clean=true and gives each such client its own id [MQTT-3.1.3-6]', async () => {
    const b = await startCore(kind);
    const ids: string[] = [];
    b.core.on('client', (cl: CoreClient) => ids.push(cl.id));
    const c1 = await connectClient(b.port, { clientId: '' });
    const c2 = await connectClient(b.port, { clientId: '' });
    expect(ids).toHaveLength(2);
    expect(ids[0]).toEqual(expect.stringMatching(/.+/));
    expect(ids[1]).not.toBe(ids[0]);
    // Neither took the other over: both are served.
    c1.send({ cmd: 'pingreq' });
    c2.send({ cmd: 'pingreq' });
    expect(await c1.next()).toEqual({ cmd: 'pingresp' });
    expect(await c2.next()).toEqual({ cmd: 'pingresp' });
  });

  it('refuses an empty ClientId with clean=false: CONNACK 2, then close [MQTT-3.1.3-8]', async () => {
    const b = await startCore(kind);
    const c = await RawClient.open(b.port, 'empty-persistent');
    // Raw bytes: mqtt-packet's generate refuses to encode this CONNECT.
    c.send(frame(0x10, str('MQTT'), Buffer.from([4, 0x00, 0, 0]), str('')));
    const observed = await connackThenClose(c);
    expect(observed).toEqual(expectedFor(kind, 'emptyClientIdPersistent', { packets: [{ cmd: 'connack', returnCode: 2, sessionPresent: false }], closed: true }));
  });

  it('refuses a 3.1 ClientId longer than 23 characters with CONNACK 2 (MQTT 3.1 §3.1), accepts it in 3.1.1 [MQTT-3.1.3-5]', async () => {
    const b = await startCore(kind);
    const long = 'x'.repeat(24);
    const v3 = await openWithConnect(b.port, { clientId: long, protocolVersion: 3 });
    await v3.closed();
    expect(v3.transcript).toEqual([{ cmd: 'connack', returnCode: 2, sessionPresent: false }]);
    await connectClient(b.port, { clientId: long });
  });

  it('closes the connection on a second CONNECT, answering nothing [MQTT-3.1.0-2]', async () => {
    const b = await startCore(kind);
    const c = await connectClient(b.port, { clientId: 'twice' });
    c.send(connectPacket({ clientId: 'twice' }), { cmd: 'pingreq' });
    await c.closed();
    expect(c.transcript).toEqual([{ cmd: 'connack', returnCode: 0, sessionPresent: false }]);
  });

  it('closes a connection whose first packet is not CONNECT [MQTT-3.1.0-1]', async () => {
    const b = await startCore(kind);
    const firsts: Outgoing[] = [{ cmd: 'pingreq' }, publishPacket('t', 'x'), { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 't', qos: 0 }] }];
    for (const [i, first] of firsts.entries()) {
      const c = await RawClient.open(b.port, `first-${i}`);
      c.send(first, connectPacket({ clientId: 'late' }));
      await c.closed();
      expect(c.transcript).toEqual([]);
    }
  });

  it('answers an unsupported protocol level (6) with CONNACK 1, then closes [MQTT-3.1.2-2]', async () => {
    const b = await startCore(kind);
    const c = await RawClient.open(b.port, 'level6');
    c.send(frame(0x10, str('MQTT'), Buffer.from([6, 0x02, 0, 0]), str('level6')));
    await c.closed();
    expect(c.transcript).toEqual(expectedFor(kind, 'unsupportedProtocolLevel', [{ cmd: 'connack', returnCode: 1, sessionPresent: false }]));
  });

  it("closes on a wrong protocol name without accepting it [MQTT-3.1.2-1]", async () => {
    const b = await startCore(kind);
    const c = await RawClient.open(b.port, 'badname');
    c.send(frame(0x10, str('MQTX'), Buffer.from([4, 0x02, 0, 0]), str('badname')));
    await c.closed();
    expect(c.transcript).toEqual([]);
  });

  it('closes on a CONNECT whose reserved flag bit is set [MQTT-3.1.2-3]', async () => {
    const b = await startCore(kind);
    const c = await RawClient.open(b.port, 'reserved');
    c.send(frame(0x10, str('MQTT'), Buffer.from([4, 0x03, 0, 0]), str('reserved')));
    await c.closed();
    expect(c.transcript).toEqual([]);
  });

  it('processes packets pipelined behind CONNECT after the CONNACK, up to queueLimit', async () => {
    const b = await startCore(kind, { queueLimit: 5 });
    const c = await RawClient.open(b.port, 'pipelined');
    // CONNECT + 5 packets in one write: all 5 wait for the CONNACK, none is lost.
    c.send(
      connectPacket({ clientId: 'pipelined' }),
      { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'p/#', qos: 1 }] },
      publishPacket('q/1', 'a', { qos: 1, messageId: 11 }),
      publishPacket('q/2', 'b', { qos: 1, messageId: 12 }),
      publishPacket('q/3', 'c', { qos: 2, messageId: 13 }),
      { cmd: 'pingreq' },
    );
    expect(await c.next()).toEqual({ cmd: 'connack', returnCode: 0, sessionPresent: false });
    const rest = await c.nextN(5);
    // Order across packet types is not prescribed; PUBACKs follow the order of their PUBLISHes [MQTT-4.6.0-2].
    expect(rest).toEqual(
      expect.arrayContaining([
        { cmd: 'suback', messageId: 1, granted: [1] },
        { cmd: 'puback', messageId: 11 },
        { cmd: 'puback', messageId: 12 },
        { cmd: 'pubrec', messageId: 13 },
        { cmd: 'pingresp' },
      ]),
    );
    expect(rest.filter((p) => p.cmd === 'puback')).toEqual([
      { cmd: 'puback', messageId: 11 },
      { cmd: 'puback', messageId: 12 },
    ]);
    await c.expectNothing();
  });

  it('closes a client that pipelines more than queueLimit packets before its CONNACK', async () => {
    const b = await startCore(kind, { queueLimit: 5 });
    const watcher = await connectClient(b.port, { clientId: 'watcher' });
    expect(await subscribe(watcher, [['flood/#', 0]])).toEqual([0]);
    const c = await RawClient.open(b.port, 'flooder');
    c.send(connectPacket({ clientId: 'flooder' }), ...Array.from({ length: 6 }, (_, i) => publishPacket(`flood/${i}`, 'x', { qos: 1, messageId: i + 1 })));
    await c.closed();
    // Nothing of the overflowing batch was acknowledged or routed.
    expect(c.transcript.filter((p) => p.cmd !== 'connack')).toEqual([]);
    await watcher.expectNothing();
  });

  it('closes a connection that sends no CONNECT within connectTimeout, and keeps one that did', async () => {
    const b = await startCore(kind, { connectTimeout: 300 });
    const silent = await RawClient.open(b.port, 'silent');
    const good = await connectClient(b.port, { clientId: 'in-time' });
    await silent.closed(3000);
    expect(silent.transcript).toEqual([]);
    await sleep(400);
    good.send({ cmd: 'pingreq' });
    expect(await good.next()).toEqual({ cmd: 'pingresp' });
    expect(good.isClosed).toBe(false);
  });

  it('answers PINGREQ with PINGRESP, each one', async () => {
    const b = await startCore(kind);
    const c = await connectClient(b.port, { clientId: 'pinger' });
    c.send({ cmd: 'pingreq' }, { cmd: 'pingreq' }, { cmd: 'pingreq' });
    expect(await c.nextN(3)).toEqual([{ cmd: 'pingresp' }, { cmd: 'pingresp' }, { cmd: 'pingresp' }]);
  });

  it('closes the connection on DISCONNECT and ignores what follows it (§3.14.4: the server SHOULD close)', async () => {
    const b = await startCore(kind);
    const c = await connectClient(b.port, { clientId: 'leaver' });
    c.send({ cmd: 'disconnect' }, { cmd: 'pingreq' });
    await c.closed();
    expect(c.transcript).toEqual([{ cmd: 'connack', returnCode: 0, sessionPresent: false }]);
  });
});
