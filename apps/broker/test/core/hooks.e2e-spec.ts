import type { AuthenticateError, CoreClient, CorePublishPacket } from '../../src/core/types.js';
import {
  ack,
  CORE_KINDS,
  closeAll,
  connectClient,
  expectedFor,
  openWithConnect,
  pub,
  publishFrom,
  publishPacket,
  QUIET_MS,
  type RawClient,
  type Received,
  remainingLength,
  sleep,
  startCore,
  subscribe,
} from './core-harness.js';

// The CoreOptions hooks and events Aviary drives the core with (core/types.ts), with aedes' semantics.
// aedes: test/auth.js, test/events.js, test/client-pub-sub.js.

function corePublish(core: { publish(p: CorePublishPacket, done: (err?: Error | null) => void): void }, p: Partial<CorePublishPacket> & { topic: string }): Promise<void> {
  const packet: CorePublishPacket = { cmd: 'publish', payload: Buffer.from(''), qos: 0, retain: false, dup: false, ...p };
  return new Promise((resolve, reject) => core.publish(packet, (err) => (err ? reject(err) : resolve())));
}

const byTopic = (a: Received, b: Received): number => (a.topic! < b.topic! ? -1 : a.topic! > b.topic! ? 1 : 0);

describe.each(CORE_KINDS)('%s core: hooks and events', (kind) => {
  afterEach(closeAll);

  it('authenticate: passes username and password, answers a refusal with its return code (default 5) and closes [MQTT-3.2.2-5]', async () => {
    const seen: [string | undefined, string | undefined][] = [];
    const b = await startCore(kind, {
      authenticate(_client, username, password, done) {
        seen.push([username, password?.toString()]);
        const code = Number(username);
        if (username === 'ok') return done(null, true);
        if (username === 'false') return done(null, false);
        const err = Object.assign(new Error('refused'), { returnCode: code }) as AuthenticateError;
        done(err, null);
      },
    });
    const observed: Record<string, unknown> = {};
    for (const username of ['2', '3', '4', '5', 'false']) {
      const c = await openWithConnect(b.port, { clientId: `c${username}`, username, password: 'pw' });
      await c.closed();
      observed[username] = c.transcript;
    }
    const connack = (returnCode: number): unknown => [{ cmd: 'connack', returnCode, sessionPresent: false }];
    expect(observed).toEqual({ '2': connack(2), '3': connack(3), '4': connack(4), '5': connack(5), false: connack(5) });
    await connectClient(b.port, { clientId: 'good', username: 'ok', password: 'secret' });
    expect(seen.at(-1)).toEqual(['ok', 'secret']);
  });

  it('authorizePublish: an error closes the connection without PUBACK and routes nothing; allowed ones pass', async () => {
    const b = await startCore(kind, {
      authorizePublish(_client, packet, done) {
        done(packet.topic.startsWith('deny/') ? new Error('denied') : null);
      },
    });
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['#', 1]])).toEqual([1]);
    const p = await connectClient(b.port, { clientId: 'p' });
    p.send(publishPacket('allow/x', 'ok', { qos: 1, messageId: 1 }));
    expect(await p.next()).toEqual(ack('puback', 1));
    expect(await s.next()).toEqual(pub('allow/x', 'ok', { qos: 1 }));
    p.send(publishPacket('deny/x', 'no', { qos: 1, messageId: 2 }));
    await p.closed();
    expect(p.transcript).toEqual([{ cmd: 'connack', returnCode: 0, sessionPresent: false }, ack('puback', 1)]);
    await s.expectNothing();
  });

  it('authorizeSubscribe: null refuses that filter only (0x80), a changed subscription is granted as changed (§3.9.3)', async () => {
    const b = await startCore(kind, {
      authorizeSubscribe(_client, sub, done) {
        if (sub.topic.startsWith('deny/')) return done(null, null);
        if (sub.topic.startsWith('low/')) return done(null, { ...sub, qos: 0 });
        done(null, sub);
      },
    });
    const s = await connectClient(b.port, { clientId: 's' });
    s.send({
      cmd: 'subscribe',
      messageId: 3,
      subscriptions: [
        { topic: 'ok/a', qos: 1 },
        { topic: 'deny/b', qos: 1 },
        { topic: 'low/c', qos: 2 },
      ],
    });
    const suback = await s.next();
    const p = await connectClient(b.port, { clientId: 'p' });
    p.send(publishPacket('deny/b', '-', { qos: 1, messageId: 1 }), publishPacket('low/c', 'low', { qos: 2, messageId: 2 }), publishPacket('ok/a', 'ok', { qos: 1, messageId: 3 }));
    const acks = await p.nextN(3);
    // PUBACKs keep their order [MQTT-4.6.0-2]; a PUBREC may come before or after them.
    expect(acks.filter((a) => a.cmd === 'puback')).toEqual([ack('puback', 1), ack('puback', 3)]);
    expect(acks.filter((a) => a.cmd === 'pubrec')).toEqual([ack('pubrec', 2)]);
    p.send(ack('pubrel', 2));
    expect(await p.next()).toEqual(ack('pubcomp', 2));
    const got = (await s.nextN(2)).sort(byTopic);
    await s.expectNothing();
    // The SUBACK reports the QoS actually granted, the one deliveries are capped at [MQTT-3.8.4-6].
    expect({ suback, got }).toEqual(
      expectedFor(kind, 'authorizeSubscribeQosNotReported', {
        suback: { cmd: 'suback', messageId: 3, granted: [1, 128, 0] },
        got: [pub('low/c', 'low', { qos: 0 }), pub('ok/a', 'ok', { qos: 1 })],
      }),
    );
  });

  it('authorizeForward: null skips that subscriber, a changed packet is delivered as changed, per subscriber', async () => {
    const b = await startCore(kind, {
      authorizeForward(client, packet) {
        if (client.id === 'blocked') return null;
        if (client.id === 'renamed') return { ...packet, topic: `renamed/${packet.topic}` };
        return packet;
      },
    });
    const subs: Record<string, RawClient> = {};
    for (const id of ['plain', 'blocked', 'renamed']) {
      subs[id] = await connectClient(b.port, { clientId: id });
      expect(await subscribe(subs[id], [['f/#', 1]])).toEqual([1]);
    }
    await publishFrom(b.port, [publishPacket('f/x', 'fw', { qos: 1, messageId: 1 }), publishPacket('f/y', 'fw0')]);
    // Two QoS levels: their relative order is not prescribed.
    expect((await subs.plain.nextN(2)).sort(byTopic)).toEqual([pub('f/x', 'fw', { qos: 1 }), pub('f/y', 'fw0')]);
    expect((await subs.renamed.nextN(2)).sort(byTopic)).toEqual([pub('renamed/f/x', 'fw', { qos: 1 }), pub('renamed/f/y', 'fw0')]);
    await subs.blocked.expectNothing();
  });

  it('inbound: renames ClientId, will, PUBLISH topics, SUBSCRIBE and UNSUBSCRIBE filters before the core sees them', async () => {
    const b = await startCore(kind, {
      inbound(_client, packet) {
        if (packet.cmd === 'connect') {
          packet.clientId = `t1:${packet.clientId as string}`;
          const will = packet.will as { topic: string } | undefined;
          if (will) will.topic = `ns/${will.topic}`;
        }
        if (packet.cmd === 'publish') packet.topic = `ns/${packet.topic as string}`;
        if (packet.cmd === 'subscribe') for (const s of packet.subscriptions as { topic: string }[]) s.topic = `ns/${s.topic}`;
        if (packet.cmd === 'unsubscribe') packet.unsubscriptions = (packet.unsubscriptions as string[]).map((t) => `ns/${t}`);
      },
    });
    const ids: string[] = [];
    b.core.on('client', (c: CoreClient) => ids.push(c.id));
    const raw = await connectClient(b.port, { clientId: 'raw' }); // renamed too: subscribes to ns/#
    expect(await subscribe(raw, [['#', 0]])).toEqual([0]);
    const s = await connectClient(b.port, { clientId: 'dev' });
    expect(await subscribe(s, [['x/#', 0]])).toEqual([0]);
    const p = await connectClient(b.port, { clientId: 'pub', will: { topic: 'x/will', payload: 'bye' } });
    expect(ids).toEqual(['t1:raw', 't1:dev', 't1:pub']);
    p.send(publishPacket('x/1', 'renamed'));
    // Outbound packets are not renamed back (that is authorizeForward's job in Aviary).
    expect(await s.next()).toEqual(pub('ns/x/1', 'renamed'));
    expect(await raw.next()).toEqual(pub('ns/x/1', 'renamed'));
    s.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['x/#'] });
    expect(await s.next()).toEqual(ack('unsuback', 2));
    p.drop();
    expect(await raw.next()).toEqual(pub('ns/x/will', 'bye'));
    await s.expectNothing();
  });

  it('maxPacketBytes: a larger packet closes its connection before its body arrives; a bystander keeps working', async () => {
    const b = await startCore(kind, { maxPacketBytes: () => 64 });
    const bystander = await connectClient(b.port, { clientId: 'bystander' });
    expect(await subscribe(bystander, [['m/#', 0]])).toEqual([0]);
    const big = await connectClient(b.port, { clientId: 'big' });
    big.send(publishPacket('m/ok', 'x'.repeat(40)));
    expect(await bystander.next()).toEqual(pub('m/ok', 'x'.repeat(40)));
    // Only the fixed header of a 10 MB PUBLISH: the core must not wait for the body to decide.
    const huge = await connectClient(b.port, { clientId: 'huge' });
    huge.send(Buffer.concat([Buffer.from([0x30]), remainingLength(10_000_000), Buffer.from([0, 3, 0x6d, 0x2f, 0x68])]));
    // A whole 80-byte PUBLISH, arriving in one read.
    big.send(publishPacket('m/big', 'x'.repeat(80)));
    await huge.closed().catch(() => undefined);
    await big.closed(500).catch(() => undefined);
    const p = await connectClient(b.port, { clientId: 'p' });
    p.send(publishPacket('m/after', 'still here'));
    const routed: string[] = [];
    for (let m = await bystander.next(); ; m = await bystander.next()) {
      routed.push(m.topic!);
      if (m.topic === 'm/after') break;
    }
    expect({ headerOnly: huge.isClosed, whole: big.isClosed, routed }).toEqual({ headerOnly: true, whole: true, routed: ['m/after'] });
    await bystander.expectNothing();
  });

  it('core.publish reaches subscribers at their QoS, stores retained messages, and reports to published()', async () => {
    const published: [string, string | null][] = [];
    const b = await startCore(kind, {
      published(packet, client, done) {
        if (!packet.topic.startsWith('$')) published.push([packet.topic, client ? client.id : null]);
        done();
      },
    });
    const s1 = await connectClient(b.port, { clientId: 's1' });
    expect(await subscribe(s1, [['srv/#', 1]])).toEqual([1]);
    await corePublish(b.core, { topic: 'srv/a', payload: Buffer.from('from server'), qos: 1 });
    await corePublish(b.core, { topic: 'srv/r', payload: Buffer.from('kept'), qos: 0, retain: true });
    expect(await s1.nextN(2)).toEqual([pub('srv/a', 'from server', { qos: 1 }), pub('srv/r', 'kept')]);
    const late = await connectClient(b.port, { clientId: 'late' });
    expect(await subscribe(late, [['srv/r', 0]])).toEqual([0]);
    expect(await late.next()).toEqual(pub('srv/r', 'kept', { retain: true }));
    late.send(publishPacket('srv/c', 'from client'));
    expect(await s1.next()).toEqual(pub('srv/c', 'from client'));
    await sleep(QUIET_MS);
    expect(published).toEqual([
      ['srv/a', null],
      ['srv/r', null],
      ['srv/c', 'late'],
    ]);
  });

  it("emits 'client', 'clientReady' and 'clientDisconnect', and tells a DISCONNECT from a lost connection", async () => {
    const b = await startCore(kind);
    const events: string[] = [];
    b.core.on('client', (c: CoreClient) => events.push(`client ${c.id}`));
    b.core.on('clientReady', (c: CoreClient) => events.push(`clientReady ${c.id} connected=${String(c.connected)}`));
    b.core.on('clientDisconnect', (c: CoreClient) => events.push(`clientDisconnect ${c.id} graceful=${String(b.core.disconnectedGracefully(c))}`));
    const polite = await connectClient(b.port, { clientId: 'polite' });
    await polite.disconnect();
    const rude = await connectClient(b.port, { clientId: 'rude' });
    rude.drop();
    await sleep(QUIET_MS);
    // A refused connection was never a client.
    expect(events).toEqual([
      'client polite',
      'clientReady polite connected=true',
      'clientDisconnect polite graceful=true',
      'client rude',
      'clientReady rude connected=true',
      'clientDisconnect rude graceful=false',
    ]);
  });

  /** The CoreClient of a connected client, once 'clientReady' fired for it (it may fire after the CONNACK). */
  function readyClients(core: { on(e: 'clientReady', l: (c: CoreClient) => void): unknown }): (id: string) => Promise<CoreClient> {
    const ready = new Map<string, CoreClient>();
    core.on('clientReady', (c: CoreClient) => ready.set(c.id, c));
    return async (id) => {
      for (let i = 0; i < 100 && !ready.has(id); i++) await sleep(10);
      if (!ready.has(id)) throw new Error(`no 'clientReady' for ${id}`);
      return ready.get(id)!;
    };
  }

  it('CoreClient: subscribe() adds a subscription for the client, close() closes it and publishes its will', async () => {
    const b = await startCore(kind);
    const readyClient = readyClients(b.core);
    const watcher = await connectClient(b.port, { clientId: 'watcher' });
    expect(await subscribe(watcher, [['#', 0]])).toEqual([0]);
    const s = await connectClient(b.port, { clientId: 's', will: { topic: 'srv/will', payload: 'closed by server' } });
    const sc = await readyClient('s');
    await new Promise<void>((resolve, reject) => sc.subscribe({ topic: 'forced/#', qos: 1 }, (err) => (err ? reject(err) : resolve())));
    await publishFrom(b.port, [publishPacket('forced/x', 'routed', { qos: 1, messageId: 1 })]);
    expect(await s.next()).toEqual(pub('forced/x', 'routed', { qos: 1 }));
    expect(await watcher.next()).toEqual(pub('forced/x', 'routed'));
    sc.close();
    await s.closed();
    expect(await watcher.next()).toEqual(pub('srv/will', 'closed by server'));
    await watcher.expectNothing();
  });

  it('CoreClient: publish() writes the message to that client only, through authorizeForward, subscribed or not', async () => {
    // aedes' Client#publish, which token-sessions.ts uses for its notices. NB core/types.ts documents
    // CoreClient.publish as "publishes on behalf of the client"; this test holds both cores to what
    // aedes does and Aviary was written against.
    const forwarded: string[] = [];
    const b = await startCore(kind, {
      authorizeForward(client, packet) {
        forwarded.push(`${client.id} ${packet.topic}`);
        return packet;
      },
    });
    const readyClient = readyClients(b.core);
    const watcher = await connectClient(b.port, { clientId: 'watcher' });
    expect(await subscribe(watcher, [['#', 0]])).toEqual([0]);
    const s = await connectClient(b.port, { clientId: 's' });
    const sc = await readyClient('s');
    await new Promise<void>((resolve, reject) =>
      sc.publish({ cmd: 'publish', topic: 'notice/x', payload: Buffer.from('to you'), qos: 0, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
    expect(await s.next()).toEqual(pub('notice/x', 'to you'));
    await watcher.expectNothing();
    expect(forwarded).toEqual(['s notice/x']);
  });
});
