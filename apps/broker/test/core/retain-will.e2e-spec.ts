import {
  ack,
  CORE_KINDS,
  closeAll,
  connectClient,
  connectPacket,
  expectedFor,
  pub,
  publishFrom,
  publishPacket,
  QUIET_MS,
  type RawClient,
  type Received,
  sleep,
  startCore,
  subscribe,
} from './core-harness.js';

// Retained messages (MQTT 3.1.1 §3.3.1.3) and wills (§3.1.2.5-3.1.2.7). aedes: test/retain.js, test/will.js.

/** Reads everything `c` receives until `QUIET_MS` pass without a packet, acknowledging QoS 1 and 2 deliveries. */
async function drain(c: RawClient): Promise<Received[]> {
  const got: Received[] = [];
  for (;;) {
    await sleep(QUIET_MS);
    if (c.pending.length === 0) return got;
    while (c.pending.length > 0) {
      const m = await c.next();
      got.push(m);
      if (m.cmd === 'publish' && m.qos === 1) c.send(ack('puback', m.messageId!));
      if (m.cmd === 'publish' && m.qos === 2) c.send(ack('pubrec', m.messageId!));
      if (m.cmd === 'pubrel') c.send(ack('pubcomp', m.messageId!));
    }
  }
}

const byTopic = (a: Received, b: Received): number => (a.topic! < b.topic! ? -1 : a.topic! > b.topic! ? 1 : 0);

describe.each(CORE_KINDS)('%s core: retained messages and wills', (kind) => {
  afterEach(closeAll);

  it('sends a retained message to later subscribers with RETAIN=1 at min(QoS), and to live ones with RETAIN=0 [MQTT-3.3.1-6, -8, -9]', async () => {
    const b = await startCore(kind);
    const live = await connectClient(b.port, { clientId: 'live' });
    expect(await subscribe(live, [['r/+', 2]])).toEqual([2]);
    await publishFrom(b.port, [publishPacket('r/t', 'kept', { qos: 1, retain: true, messageId: 1 })]);
    expect(await drain(live)).toEqual([pub('r/t', 'kept', { qos: 1, retain: false })]);
    const observed: Record<string, Received[]> = {};
    for (const [filter, qos] of [
      ['r/t', 2],
      ['r/t', 0],
      ['r/+', 2],
      ['r/+', 0],
      ['#', 0],
    ] as const) {
      const s = await connectClient(b.port, { clientId: `late-${filter}-${qos}` });
      expect(await subscribe(s, [[filter, qos]])).toEqual([qos]);
      observed[`${filter} QoS ${qos}`] = await drain(s);
    }
    const spec = {
      'r/t QoS 2': [pub('r/t', 'kept', { qos: 1, retain: true })],
      'r/t QoS 0': [pub('r/t', 'kept', { qos: 0, retain: true })],
      'r/+ QoS 2': [pub('r/t', 'kept', { qos: 1, retain: true })],
      'r/+ QoS 0': [pub('r/t', 'kept', { qos: 0, retain: true })],
      '# QoS 0': [pub('r/t', 'kept', { qos: 0, retain: true })],
    };
    expect(observed).toEqual(expectedFor(kind, 'retainedWildcardQos', spec));
  });

  it('replaces a retained message with the next retained one, not with a non-retained one [MQTT-3.3.1-5, -12]', async () => {
    const b = await startCore(kind);
    await publishFrom(b.port, [
      publishPacket('r/t', 'v1', { qos: 1, retain: true, messageId: 1 }),
      publishPacket('r/t', 'v2', { qos: 0, retain: true }),
      publishPacket('r/t', 'not retained', { qos: 1, messageId: 2 }),
    ]);
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['r/t', 1]])).toEqual([1]);
    expect(await drain(s)).toEqual([pub('r/t', 'v2', { qos: 0, retain: true })]);
  });

  it('routes an empty retained message normally and then keeps nothing for the topic [MQTT-3.3.1-10, -11]', async () => {
    const b = await startCore(kind);
    const live = await connectClient(b.port, { clientId: 'live' });
    expect(await subscribe(live, [['r/#', 0]])).toEqual([0]);
    await publishFrom(b.port, [publishPacket('r/t', 'kept', { qos: 1, retain: true, messageId: 1 }), publishPacket('r/u', 'other', { retain: true })]);
    await publishFrom(b.port, [publishPacket('r/t', '', { qos: 1, retain: true, messageId: 2 })]);
    const liveGot = await drain(live);
    // Two topics of two QoS levels from one publisher: their relative order is not prescribed (§4.6).
    expect([...liveGot.slice(0, 2).sort(byTopic), ...liveGot.slice(2)]).toEqual([pub('r/t', 'kept'), pub('r/u', 'other'), pub('r/t', '')]);
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['r/#', 0]])).toEqual([0]);
    expect(await drain(s)).toEqual([pub('r/u', 'other', { retain: true })]);
  });

  it('sends a wildcard subscriber every matching retained message and no other; re-subscribing sends them again [MQTT-3.8.4-3]', async () => {
    const b = await startCore(kind);
    await publishFrom(b.port, [
      publishPacket('w/a', '1', { retain: true }),
      publishPacket('w/b', '2', { retain: true }),
      publishPacket('w/b/c', '3', { retain: true }),
      publishPacket('x/a', '4', { retain: true }),
      publishPacket('w/n', 'not retained'),
    ]);
    await new Promise<void>((resolve, reject) =>
      b.core.publish({ cmd: 'publish', topic: '$w/a', payload: Buffer.from('dollar'), qos: 0, retain: true, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['w/+', 0]])).toEqual([0]);
    // The order among retained messages is not specified.
    expect((await drain(s)).sort(byTopic)).toEqual([pub('w/a', '1', { retain: true }), pub('w/b', '2', { retain: true })]);
    expect(await subscribe(s, [['w/+', 0]], 2)).toEqual([0]);
    expect((await drain(s)).sort(byTopic)).toEqual([pub('w/a', '1', { retain: true }), pub('w/b', '2', { retain: true })]);
    const all = await connectClient(b.port, { clientId: 'all' });
    expect(await subscribe(all, [['#', 0]])).toEqual([0]);
    // '#' does not match the retained '$w/a' either [MQTT-4.7.2-1].
    const spec = [pub('w/a', '1', { retain: true }), pub('w/b', '2', { retain: true }), pub('w/b/c', '3', { retain: true }), pub('x/a', '4', { retain: true })];
    expect((await drain(all)).sort(byTopic)).toEqual(expectedFor(kind, 'retainedDollarTopicsMatchWildcards', spec));
  });

  it('publishes the will when the connection is lost, at min(will QoS, subscription QoS) [MQTT-3.1.2-8]', async () => {
    const b = await startCore(kind);
    const subs: [number, RawClient][] = [];
    for (const q of [0, 1, 2] as const) {
      const s = await connectClient(b.port, { clientId: `s${q}` });
      expect(await subscribe(s, [['will/+', q]])).toEqual([q]);
      subs.push([q, s]);
    }
    const dying = await connectClient(b.port, { clientId: 'dying', will: { topic: 'will/dying', payload: 'gone', qos: 1 } });
    dying.drop();
    for (const [q, s] of subs) expect({ q, got: await drain(s) }).toEqual({ q, got: [pub('will/dying', 'gone', { qos: Math.min(q, 1) as 0 | 1 })] });
  });

  it('does not publish the will after DISCONNECT [MQTT-3.1.2-10, MQTT-3.14.4-3]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['will/#', 0]])).toEqual([0]);
    const leaving = await connectClient(b.port, { clientId: 'leaving', will: { topic: 'will/leaving', payload: 'gone' } });
    await leaving.disconnect();
    // The same client again, and its connection lost this time: the will of this connection only.
    const again = await connectClient(b.port, { clientId: 'leaving', will: { topic: 'will/leaving', payload: 'second' } });
    again.drop();
    expect(await drain(s)).toEqual([pub('will/leaving', 'second')]);
  });

  it('honours the will RETAIN flag: live subscribers get RETAIN=0, later ones the retained will [MQTT-3.1.2-17]', async () => {
    const b = await startCore(kind);
    const live = await connectClient(b.port, { clientId: 'live' });
    expect(await subscribe(live, [['will/#', 1]])).toEqual([1]);
    const kept = await connectClient(b.port, { clientId: 'kept', will: { topic: 'will/kept', payload: 'k', qos: 1, retain: true } });
    const notKept = await connectClient(b.port, { clientId: 'not-kept', will: { topic: 'will/not-kept', payload: 'n', qos: 1 } });
    kept.drop();
    notKept.drop();
    expect((await drain(live)).sort(byTopic)).toEqual([pub('will/kept', 'k', { qos: 1 }), pub('will/not-kept', 'n', { qos: 1 })]);
    const later = await connectClient(b.port, { clientId: 'later' });
    expect(await subscribe(later, [['will/#', 1]])).toEqual([1]);
    expect(await drain(later)).toEqual([pub('will/kept', 'k', { qos: 1, retain: true })]);
  });

  it('publishes the will when the core closes the connection for a protocol violation [MQTT-3.1.2-8]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['will/#', 0]])).toEqual([0]);
    const bad = await connectClient(b.port, { clientId: 'bad', will: { topic: 'will/bad', payload: 'violated' } });
    bad.send(connectPacket({ clientId: 'bad' }));
    await bad.closed();
    expect(await drain(s)).toEqual([pub('will/bad', 'violated')]);
  });

  it('publishes nothing for a connection that had no will', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['#', 0]])).toEqual([0]);
    const plain = await connectClient(b.port, { clientId: 'plain' });
    plain.drop();
    await sleep(QUIET_MS);
    expect(await drain(s)).toEqual([]);
  });
});
