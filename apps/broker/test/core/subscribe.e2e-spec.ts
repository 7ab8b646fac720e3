import {
  ack,
  CORE_KINDS,
  closeAll,
  connectClient,
  expectedFor,
  frame,
  pub,
  publishPacket,
  QUIET_MS,
  type RawClient,
  type Received,
  sleep,
  startCore,
  str,
  subscribe,
} from './core-harness.js';

// SUBSCRIBE / SUBACK, UNSUBSCRIBE / UNSUBACK and topic matching (MQTT 3.1.1 §3.8-3.11, §4.7).
// aedes: test/topics.js, test/basic.js (subscribe, unsubscribe, overlapping), test/events.js ($ topics).

/** PUBLISHes `topics` (QoS 0) from `p`, then a marker on `end`, and returns what `s` got before the marker. */
async function routed(p: RawClient, s: RawClient, topics: string[]): Promise<string[]> {
  p.send(...topics.map((t) => publishPacket(t, t)), publishPacket('end', 'end'));
  const got: string[] = [];
  for (;;) {
    const m = await s.next();
    if (m.topic === 'end') return got;
    got.push(m.topic!);
  }
}

describe.each(CORE_KINDS)('%s core: SUBSCRIBE and topics', (kind) => {
  afterEach(closeAll);

  it('answers SUBSCRIBE with a SUBACK of the same id granting each requested QoS, in order [MQTT-3.8.4-1, -2, -5]', async () => {
    const b = await startCore(kind);
    const c = await connectClient(b.port, { clientId: 'c' });
    c.send({
      cmd: 'subscribe',
      messageId: 31337,
      subscriptions: [
        { topic: 'a', qos: 2 },
        { topic: 'b/+', qos: 0 },
        { topic: 'c/#', qos: 1 },
        { topic: 'd', qos: 1 },
      ],
    });
    expect(await c.next()).toEqual({ cmd: 'suback', messageId: 31337, granted: [2, 0, 1, 1] });
  });

  it('delivers a message matching two subscriptions of one client once, at the highest QoS [MQTT-3.3.5-1]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 's' });
    // Two orders of subscribing, in case a core picks the first (or last) matching subscription.
    expect(await subscribe(s, [['a/#', 0]])).toEqual([0]);
    expect(await subscribe(s, [['a/+', 1]], 2)).toEqual([1]);
    const s2 = await connectClient(b.port, { clientId: 's2' });
    expect(await subscribe(s2, [['a/+', 1]])).toEqual([1]);
    expect(await subscribe(s2, [['a/#', 0]], 2)).toEqual([0]);
    const p = await connectClient(b.port, { clientId: 'p' });
    p.send(publishPacket('a/b', 'x', { qos: 1, messageId: 1 }));
    expect(await p.next()).toEqual(ack('puback', 1));
    const observed: Record<string, Received[]> = {};
    for (const [name, c] of [
      ['a/# then a/+', s],
      ['a/+ then a/#', s2],
    ] as const) {
      observed[name] = [await c.next()];
      await c.expectNothing();
      observed[name].push(...c.pending);
    }
    // 3.1.1 also allows one copy per subscription with the maximum among them; a single copy is what we hold both cores to.
    const spec = { 'a/# then a/+': [pub('a/b', 'x', { qos: 1 })], 'a/+ then a/#': [pub('a/b', 'x', { qos: 1 })] };
    expect(observed).toEqual(expectedFor(kind, 'overlappingSubscriptionsQos', spec));
  });

  it('matches + on exactly one level (empty levels included) and # on any number of levels, the parent too [MQTT-4.7.1-2, -3]', async () => {
    const b = await startCore(kind);
    const p = await connectClient(b.port, { clientId: 'p' });
    const topics = ['a', 'a/b', 'a/b/c', 'a/', '/a', 'x/b', 'a/x/c', 'ab'];
    const cases: [string, string[]][] = [
      ['a/#', ['a', 'a/b', 'a/b/c', 'a/', 'a/x/c']],
      ['a/+', ['a/b', 'a/']],
      ['+/b', ['a/b', 'x/b']],
      ['+', ['a', 'ab']],
      ['+/+', ['a/b', 'a/', '/a', 'x/b']],
      ['a/+/c', ['a/b/c', 'a/x/c']],
      ['/+', ['/a']],
      ['#', topics],
      ['A/#', []],
    ];
    const observed: Record<string, string[]> = {};
    for (const [filter] of cases) {
      const s = await connectClient(b.port, { clientId: `s-${filter}` });
      expect(await subscribe(s, [[filter, 0], ['end', 0]])).toEqual([0, 0]);
      observed[filter] = (await routed(p, s, topics)).filter((t) => t !== 'end');
      s.drop();
    }
    expect(observed).toEqual(Object.fromEntries(cases));
  });

  it('does not match topics beginning with $ by # or +/... , only by filters that name the $ level [MQTT-4.7.2-1]', async () => {
    const b = await startCore(kind);
    const filters = ['#', '+/x', '+/#', '$aviary/#', '$aviary/x', '$aviary/+'];
    const subs: [string, RawClient][] = [];
    for (const f of filters) {
      const s = await connectClient(b.port, { clientId: `s-${f}` });
      expect(await subscribe(s, [[f, 0]])).toEqual([0]);
      subs.push([f, s]);
    }
    // Server-side publish: whether clients may publish to $ topics is a broker choice (§4.7.2 SHOULD).
    await new Promise<void>((resolve, reject) =>
      b.core.publish({ cmd: 'publish', topic: '$aviary/x', payload: Buffer.from('dollar'), qos: 0, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve, reject) =>
      b.core.publish({ cmd: 'publish', topic: 'plain/x', payload: Buffer.from('plain'), qos: 0, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
    const observed: Record<string, string[]> = {};
    for (const [f, s] of subs) {
      await sleep(QUIET_MS);
      observed[f] = s.pending.map((m) => m.topic!);
    }
    expect(observed).toEqual({
      '#': ['plain/x'],
      '+/x': ['plain/x'],
      '+/#': ['plain/x'],
      '$aviary/#': ['$aviary/x'],
      '$aviary/x': ['$aviary/x'],
      '$aviary/+': ['$aviary/x'],
    });
  });

  it('matches topics case-sensitively and byte for byte, non-ASCII included [MQTT-4.7.3-4]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['Case/Ü/+', 0], ['end', 0]])).toEqual([0, 0]);
    const p = await connectClient(b.port, { clientId: 'p' });
    expect(await routed(p, s, ['case/Ü/x', 'Case/ü/x', 'Case/Ü/x', 'Case/U/x', 'Case/Ü/温度'])).toEqual(['Case/Ü/x', 'Case/Ü/温度']);
  });

  it('closes a connection that subscribes to an ill-formed filter, with no SUBACK [MQTT-4.7.1-2, MQTT-4.7.1-3, MQTT-4.7.3-1]', async () => {
    const b = await startCore(kind);
    const observed: Record<string, { closed: boolean; suback: number[] | null }> = {};
    for (const filter of ['a/#/b', 'a#', 'a/b#', 'a+', 'a/+b', '']) {
      const c = await connectClient(b.port, { clientId: 'bad' });
      // Raw bytes: mqtt-packet's generate refuses an empty filter. A valid filter rides along.
      c.send(frame(0x82, Buffer.from([0, 9]), str('ok'), Buffer.from([0]), str(filter), Buffer.from([0])), { cmd: 'pingreq' });
      await c.closed(500).catch(() => undefined);
      observed[filter] = { closed: c.isClosed, suback: c.transcript.find((p) => p.cmd === 'suback')?.granted ?? null };
    }
    // A malformed filter is a protocol violation (§4.8: close). A SUBACK 0x80 for it would be defensible
    // too; closing is what aedes does for the malformed filters it recognises, so both cores close.
    const closed = { closed: true, suback: null };
    const spec = { 'a/#/b': closed, 'a#': closed, 'a/b#': closed, 'a+': closed, 'a/+b': closed, '': closed };
    expect(observed).toEqual(expectedFor(kind, 'wildcardInsideLevelAccepted', spec));
  });

  it('closes a connection that sends a SUBSCRIBE with no filter [MQTT-3.8.3-3]', async () => {
    const b = await startCore(kind);
    const c = await connectClient(b.port, { clientId: 'empty-sub' });
    c.send(frame(0x82, Buffer.from([0, 9])), { cmd: 'pingreq' });
    await c.closed();
    expect(c.transcript.slice(1)).toEqual([]);
  });

  it('answers UNSUBSCRIBE with an UNSUBACK of the same id and stops the deliveries, subscribed or not [MQTT-3.10.4-4, -5]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['u/+', 1], ['v', 0], ['end', 0]])).toEqual([1, 0, 0]);
    const p = await connectClient(b.port, { clientId: 'p' });
    expect(await routed(p, s, ['u/1', 'v'])).toEqual(['u/1', 'v']);
    s.send({ cmd: 'unsubscribe', messageId: 6, unsubscriptions: ['u/+', 'never/subscribed'] });
    expect(await s.next()).toEqual(ack('unsuback', 6));
    expect(await routed(p, s, ['u/1', 'u/2', 'v'])).toEqual(['v']);
    // Unsubscribing the exact filter only: 'u/1' is not a filter this client has.
    s.send({ cmd: 'unsubscribe', messageId: 7, unsubscriptions: ['v/#', 'V'] });
    expect(await s.next()).toEqual(ack('unsuback', 7));
    expect(await routed(p, s, ['v'])).toEqual(['v']);
  });

  it('replaces the QoS of an existing subscription when it is subscribed again, delivering once [MQTT-3.8.4-3]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 's' });
    expect(await subscribe(s, [['r/t', 2]])).toEqual([2]);
    expect(await subscribe(s, [['r/t', 0]], 2)).toEqual([0]);
    const p = await connectClient(b.port, { clientId: 'p' });
    p.send(publishPacket('r/t', 'down', { qos: 2, messageId: 1 }));
    expect(await p.next()).toEqual(ack('pubrec', 1));
    p.send(ack('pubrel', 1));
    expect(await p.next()).toEqual(ack('pubcomp', 1));
    expect(await s.next()).toEqual(pub('r/t', 'down', { qos: 0 }));
    await s.expectNothing();
    expect(await subscribe(s, [['r/t', 1]], 3)).toEqual([1]);
    p.send(publishPacket('r/t', 'up', { qos: 2, messageId: 2 }));
    expect(await p.next()).toEqual(ack('pubrec', 2));
    p.send(ack('pubrel', 2));
    expect(await s.next()).toEqual(pub('r/t', 'up', { qos: 1 }));
    await s.expectNothing();
  });

  it('keeps the last of two identical filters in one SUBSCRIBE', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 's' });
    s.send({
      cmd: 'subscribe',
      messageId: 4,
      subscriptions: [
        { topic: 'dup/t', qos: 2 },
        { topic: 'dup/t', qos: 1 },
      ],
    });
    const suback = await s.next();
    expect(suback).toEqual(expectedFor(kind, 'duplicateFiltersInOneSubscribe', { cmd: 'suback', messageId: 4, granted: [2, 1] }));
    const p = await connectClient(b.port, { clientId: 'p' });
    p.send(publishPacket('dup/t', 'x', { qos: 2, messageId: 1 }));
    expect(await p.next()).toEqual(ack('pubrec', 1));
    p.send(ack('pubrel', 1));
    expect(await s.next()).toEqual(pub('dup/t', 'x', { qos: 1 }));
    await s.expectNothing();
  });
});
