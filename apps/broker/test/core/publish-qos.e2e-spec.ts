import {
  ack,
  CORE_KINDS,
  closeAll,
  connectClient,
  expectedFor,
  pub,
  publishPacket,
  type Received,
  startCore,
  subscribe,
} from './core-harness.js';

// PUBLISH and its acknowledgements in both directions, QoS 0/1/2 (MQTT 3.1.1 §3.3-3.7, §4.3).
// aedes: test/basic.js, test/qos1.js, test/qos2.js, test/client-pub-sub.js.
describe.each(CORE_KINDS)('%s core: PUBLISH and QoS', (kind) => {
  afterEach(closeAll);

  it('routes a QoS 0 PUBLISH as QoS 0, with no acknowledgement to the publisher', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'sub' });
    expect(await subscribe(s, [['t/0', 2]])).toEqual([2]);
    const p = await connectClient(b.port, { clientId: 'pub' });
    p.send(publishPacket('t/0', 'zero'));
    expect(await s.next()).toEqual(pub('t/0', 'zero'));
    await p.expectNothing();
  });

  it('acknowledges a QoS 1 PUBLISH with a PUBACK of the same id and routes it', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'sub' });
    expect(await subscribe(s, [['t/1', 1]])).toEqual([1]);
    const p = await connectClient(b.port, { clientId: 'pub' });
    p.send(publishPacket('t/1', 'one', { qos: 1, messageId: 4242 }));
    expect(await p.next()).toEqual(ack('puback', 4242));
    expect(await s.next()).toEqual(pub('t/1', 'one', { qos: 1 }));
    await s.expectNothing();
  });

  it('runs the QoS 2 receiver flow (PUBREC, PUBREL, PUBCOMP) and delivers exactly once despite a DUP resend [MQTT-4.3.3-2]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'sub' });
    expect(await subscribe(s, [['t/2', 2]])).toEqual([2]);
    const p = await connectClient(b.port, { clientId: 'pub' });
    p.send(publishPacket('t/2', 'two', { qos: 2, messageId: 77 }));
    expect(await p.next()).toEqual(ack('pubrec', 77));
    // The sender did not see the PUBREC (as far as the broker knows) and resends with DUP.
    p.send(publishPacket('t/2', 'two', { qos: 2, messageId: 77, dup: true }));
    expect(await p.next()).toEqual(ack('pubrec', 77));
    p.send(ack('pubrel', 77));
    expect(await p.next()).toEqual(ack('pubcomp', 77));
    // Delivery may happen on PUBLISH (aedes does) or on PUBREL (§4.3.3 allows both): once, either way.
    const delivered = await s.next();
    expect(delivered).toEqual(pub('t/2', 'two', { qos: 2 }));
    s.send(ack('pubrec', delivered.messageId!));
    expect(await s.next()).toEqual(ack('pubrel', delivered.messageId!));
    s.send(ack('pubcomp', delivered.messageId!));
    await s.expectNothing();
    await p.expectNothing();
  });

  it('treats a QoS 2 id reused after PUBCOMP as a new message, and answers a PUBREL it does not know with PUBCOMP [MQTT-4.3.3-2]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'sub' });
    expect(await subscribe(s, [['t/2', 0]])).toEqual([0]);
    const p = await connectClient(b.port, { clientId: 'pub' });
    for (const payload of ['first', 'second']) {
      p.send(publishPacket('t/2', payload, { qos: 2, messageId: 5 }));
      expect(await p.next()).toEqual(ack('pubrec', 5));
      p.send(ack('pubrel', 5));
      expect(await p.next()).toEqual(ack('pubcomp', 5));
      expect(await s.next()).toEqual(pub('t/2', payload));
    }
    p.send(ack('pubrel', 999));
    expect(await p.next()).toEqual(ack('pubcomp', 999));
    await s.expectNothing();
  });

  it('delivers at min(subscription QoS, PUBLISH QoS), for exact and wildcard subscriptions [MQTT-3.8.4-6]', async () => {
    const b = await startCore(kind);
    const subs = [];
    for (const q of [0, 1, 2] as const) {
      const s = await connectClient(b.port, { clientId: `sub${q}` });
      expect(await subscribe(s, [[`exact/t`, q]])).toEqual([q]);
      const w = await connectClient(b.port, { clientId: `wild${q}` });
      expect(await subscribe(w, [[`exact/+`, q]])).toEqual([q]);
      subs.push({ q, s, w });
    }
    const p = await connectClient(b.port, { clientId: 'pub' });
    const observed: Record<string, number[]> = {};
    for (const pq of [0, 1, 2] as const) {
      p.send(publishPacket('exact/t', `q${pq}`, { qos: pq, messageId: 10 + pq }));
      if (pq > 0) await p.next();
      if (pq === 2) {
        p.send(ack('pubrel', 12));
        expect(await p.next()).toEqual(ack('pubcomp', 12));
      }
      for (const { q, s, w } of subs) {
        for (const [name, c] of [
          [`exact sub ${q}`, s],
          [`wildcard sub ${q}`, w],
        ] as const) {
          const got = await c.next();
          expect(got).toMatchObject({ cmd: 'publish', topic: 'exact/t', payload: `q${pq}` });
          (observed[name] ??= []).push(got.qos!);
          // Complete the flows so nothing is left in flight.
          if (got.qos === 1) c.send(ack('puback', got.messageId!));
          if (got.qos === 2) {
            c.send(ack('pubrec', got.messageId!));
            expect(await c.next()).toEqual(ack('pubrel', got.messageId!));
            c.send(ack('pubcomp', got.messageId!));
          }
        }
      }
    }
    // Per subscriber: the QoS of the deliveries of the QoS 0, 1 and 2 messages.
    const spec = {
      'exact sub 0': [0, 0, 0],
      'wildcard sub 0': [0, 0, 0],
      'exact sub 1': [0, 1, 1],
      'wildcard sub 1': [0, 1, 1],
      'exact sub 2': [0, 1, 2],
      'wildcard sub 2': [0, 1, 2],
    };
    expect(observed).toEqual(expectedFor(kind, 'wildcardQosDowngrade', spec));
  });

  it('numbers outbound QoS 1 messages with consecutive ids, starting at 1 on a fresh connection', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'sub' });
    expect(await subscribe(s, [['ids/#', 1]])).toEqual([1]);
    const p = await connectClient(b.port, { clientId: 'pub' });
    for (let i = 1; i <= 5; i++) p.send(publishPacket(`ids/${i}`, `m${i}`, { qos: 1, messageId: 100 + i }));
    const got: Received[] = await s.nextN(5);
    expect(got.map((m) => m.topic)).toEqual(['ids/1', 'ids/2', 'ids/3', 'ids/4', 'ids/5']);
    const ids = got.map((m) => m.messageId!);
    // Non-zero [MQTT-2.3.1-1], distinct while in flight [MQTT-2.3.1-2]: here consecutive (wrapping past 65535 to 1).
    const step = (id: number): number => (id === 65535 ? 1 : id + 1);
    expect(ids.slice(1)).toEqual(ids.slice(0, -1).map(step));
    expect(ids.every((id) => id >= 1 && id <= 65535)).toBe(true);
    // Starting at 1 is our contract for the lean core (deterministic transcripts), not a spec rule.
    expect(ids[0]).toEqual(expectedFor(kind, 'firstOutboundMessageId', 1));
    for (const id of ids) s.send(ack('puback', id));
    await s.expectNothing();
  });

  it('runs the QoS 2 sender flow toward a subscriber: PUBLISH, PUBREC → PUBREL, PUBCOMP, and nothing after', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'sub' });
    expect(await subscribe(s, [['t/2', 2]])).toEqual([2]);
    const p = await connectClient(b.port, { clientId: 'pub' });
    p.send(publishPacket('t/2', 'a', { qos: 2, messageId: 1 }), publishPacket('t/2', 'b', { qos: 2, messageId: 2 }));
    expect(await p.nextN(2)).toEqual([ack('pubrec', 1), ack('pubrec', 2)]);
    p.send(ack('pubrel', 1), ack('pubrel', 2));
    expect(await p.nextN(2)).toEqual([ack('pubcomp', 1), ack('pubcomp', 2)]);
    const [m1, m2] = await s.nextN(2);
    expect([m1, m2]).toEqual([pub('t/2', 'a', { qos: 2 }), pub('t/2', 'b', { qos: 2 })]);
    expect(m2.messageId).not.toBe(m1.messageId);
    // Acknowledge the second first: each flow is independent.
    s.send(ack('pubrec', m2.messageId!));
    expect(await s.next()).toEqual(ack('pubrel', m2.messageId!));
    s.send(ack('pubrec', m1.messageId!));
    expect(await s.next()).toEqual(ack('pubrel', m1.messageId!));
    s.send(ack('pubcomp', m1.messageId!), ack('pubcomp', m2.messageId!));
    await s.expectNothing();
  });

  it('does not route a message back to a publisher that is not subscribed, and does route it to one that is', async () => {
    const b = await startCore(kind);
    const a = await connectClient(b.port, { clientId: 'a' });
    a.send(publishPacket('self/x', 'no'));
    await a.expectNothing();
    expect(await subscribe(a, [['self/#', 0]])).toEqual([0]);
    a.send(publishPacket('self/x', 'yes'));
    expect(await a.next()).toEqual(pub('self/x', 'yes'));
  });

  it('closes a connection that publishes to a topic with a wildcard or an empty topic [MQTT-3.3.2-2, MQTT-4.7.3-1]', async () => {
    const b = await startCore(kind);
    const watcher = await connectClient(b.port, { clientId: 'watcher' });
    expect(await subscribe(watcher, [['#', 0]])).toEqual([0]);
    for (const topic of ['a/+', 'a/#', '#', '+', 'a/b+', '']) {
      const c = await connectClient(b.port, { clientId: 'bad' });
      c.send(publishPacket(topic, 'x', { qos: 1, messageId: 3 }), { cmd: 'pingreq' });
      await c.closed();
      expect({ topic, got: c.transcript.slice(1) }).toEqual({ topic, got: [] });
    }
    await watcher.expectNothing();
  });

  it('keeps the order of messages of one QoS level on one topic from one publisher [MQTT-4.6.0-6]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'sub' });
    expect(await subscribe(s, [['ord/t', 2]])).toEqual([2]);
    const p = await connectClient(b.port, { clientId: 'pub' });
    const qos = [1, 1, 0, 1, 2, 1, 0, 2, 1] as const;
    p.send(...qos.map((q, i) => publishPacket('ord/t', `${i}`, { qos: q, messageId: i + 1 })));
    const recs = (await p.nextN(qos.filter((q) => q > 0).length)).filter((a) => a.cmd === 'pubrec');
    expect(recs).toEqual([ack('pubrec', 5), ack('pubrec', 8)]);
    p.send(ack('pubrel', 5), ack('pubrel', 8));
    const got = await s.nextN(qos.length);
    // Ordered per QoS level (the spec's guarantee); the order across levels is not prescribed.
    const byQos = (q: number): (string | undefined)[] => got.filter((m) => m.qos === q).map((m) => m.payload);
    expect([byQos(0), byQos(1), byQos(2)]).toEqual([
      ['2', '6'],
      ['0', '1', '3', '5', '8'],
      ['4', '7'],
    ]);
  });
});
