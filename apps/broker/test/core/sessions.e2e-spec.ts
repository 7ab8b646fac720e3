import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
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
  sleep,
  startCore,
  subscribe,
} from './core-harness.js';

// Sessions (MQTT 3.1.1 §3.1.2.4, §4.1, §4.4): persistent subscriptions, offline queues, redelivery on
// reconnect, clean=true wiping, takeover. aedes: test/qos1.js, test/qos2.js, test/basic.js, test/will.js.
describe.each(CORE_KINDS)('%s core: sessions', (kind) => {
  afterEach(closeAll);

  it('keeps a clean=false session: QoS 1 and 2 messages published meanwhile arrive after reconnect, in order, with sessionPresent=1 [MQTT-3.1.2-4, -5]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'durable', clean: false });
    expect(await subscribe(s, [['d/#', 2]])).toEqual([2]);
    await s.disconnect();
    await publishFrom(b.port, [
      publishPacket('d/1', 'one', { qos: 1, messageId: 1 }),
      publishPacket('d/2', 'two', { qos: 2, messageId: 2 }),
      publishPacket('d/3', 'three', { qos: 1, messageId: 3 }),
    ]);
    const back = await connectClient(b.port, { clientId: 'durable', clean: false }, true);
    const got = await back.nextN(3);
    // In order per QoS level [MQTT-4.6.0-?]; aedes queues the QoS 2 one after its PUBREC, so it may come last.
    expect(got.filter((m) => m.qos === 1)).toEqual([pub('d/1', 'one', { qos: 1 }), pub('d/3', 'three', { qos: 1 })]);
    const two = got.find((m) => m.qos === 2)!;
    expect(two).toEqual(pub('d/2', 'two', { qos: 2 }));
    for (const m of got) back.send(ack(m.qos === 1 ? 'puback' : 'pubrec', m.messageId!));
    expect(await back.next()).toEqual(ack('pubrel', two.messageId!));
    back.send(ack('pubcomp', two.messageId!));
    // The subscription itself was restored: new messages arrive without a new SUBSCRIBE.
    await publishFrom(b.port, [publishPacket('d/4', 'four', { qos: 1, messageId: 4 })]);
    expect(await back.next()).toEqual(pub('d/4', 'four', { qos: 1 }));
  });

  it('queues no QoS 0 message for an offline client (3.1.1 makes it optional; neither core does)', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'durable', clean: false });
    expect(await subscribe(s, [['q1/#', 1], ['q0/#', 0]])).toEqual([1, 0]);
    s.drop();
    await s.closed();
    await publishFrom(b.port, [publishPacket('q1/a', 'qos0 message'), publishPacket('q0/a', 'qos1 message on a qos0 subscription', { qos: 1, messageId: 1 })]);
    const back = await connectClient(b.port, { clientId: 'durable', clean: false }, true);
    await back.expectNothing();
  });

  it('reports sessionPresent=1 for a stored session that has no subscriptions [MQTT-3.2.2-2]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'empty-session', clean: false });
    await s.disconnect();
    const back = await openWithConnect(b.port, { clientId: 'empty-session', clean: false });
    expect(await back.next()).toEqual(expectedFor(kind, 'sessionPresentNeedsSubscriptions', { cmd: 'connack', returnCode: 0, sessionPresent: true }));
  });

  it('discards the session on a clean=true connect: sessionPresent 0, no queued messages, nothing kept for later [MQTT-3.1.2-6]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'wiped', clean: false });
    expect(await subscribe(s, [['w/#', 1]])).toEqual([1]);
    await s.disconnect();
    await publishFrom(b.port, [publishPacket('w/1', 'queued', { qos: 1, messageId: 1 })]);
    const clean = await connectClient(b.port, { clientId: 'wiped', clean: true }, false);
    await clean.expectNothing();
    await clean.disconnect();
    await publishFrom(b.port, [publishPacket('w/2', 'after wipe', { qos: 1, messageId: 1 })]);
    const again = await connectClient(b.port, { clientId: 'wiped', clean: false }, false);
    await again.expectNothing();
  });

  it('resends an unacknowledged QoS 1 message on reconnect with its id and DUP=1, and not once acknowledged [MQTT-4.4.0-1, MQTT-3.3.1-1]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'slow', clean: false });
    expect(await subscribe(s, [['r/#', 1]])).toEqual([1]);
    await publishFrom(b.port, [publishPacket('r/1', 'unacked', { qos: 1, messageId: 1 })]);
    const first = await s.next();
    expect(first).toEqual(pub('r/1', 'unacked', { qos: 1 }));
    s.drop();
    await s.closed();
    const back = await connectClient(b.port, { clientId: 'slow', clean: false }, true);
    const resent = await back.next();
    const { messageId, ...rest } = resent;
    expect({ ...rest, sameMessageId: messageId === first.messageId }).toEqual(
      expectedFor(kind, 'resendWithoutDup', { cmd: 'publish', topic: 'r/1', payload: 'unacked', qos: 1, dup: true, retain: false, sameMessageId: true }),
    );
    await back.expectNothing();
    back.send(ack('puback', resent.messageId!));
    await back.disconnect();
    const third = await connectClient(b.port, { clientId: 'slow', clean: false }, true);
    await third.expectNothing();
  });

  it('resends an unanswered QoS 2 PUBLISH, and a PUBREL whose PUBCOMP never came, on reconnect [MQTT-4.4.0-1]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'q2', clean: false });
    expect(await subscribe(s, [['r/#', 2]])).toEqual([2]);
    await publishFrom(b.port, [publishPacket('r/a', 'released', { qos: 2, messageId: 1 }), publishPacket('r/b', 'unanswered', { qos: 2, messageId: 2 })]);
    const [a, bb] = await s.nextN(2);
    expect([a, bb]).toEqual([pub('r/a', 'released', { qos: 2 }), pub('r/b', 'unanswered', { qos: 2 })]);
    s.send(ack('pubrec', a.messageId!));
    expect(await s.next()).toEqual(ack('pubrel', a.messageId!));
    s.drop();
    await s.closed();
    const back = await connectClient(b.port, { clientId: 'q2', clean: false }, true);
    const resent = await back.nextN(2);
    // Order between the PUBREL and the PUBLISH resent is not prescribed.
    const publish = resent.find((m) => m.cmd === 'publish');
    const pubrel = resent.find((m) => m.cmd === 'pubrel');
    const observed = {
      publish: publish && { dup: publish.dup, sameMessageId: publish.messageId === bb.messageId },
      pubrel: pubrel && { sameMessageId: pubrel.messageId === a.messageId },
    };
    expect(observed).toEqual(expectedFor(kind, 'resendWithoutDupQos2', { publish: { dup: true, sameMessageId: true }, pubrel: { sameMessageId: true } }));
    expect(publish).toEqual(pub('r/b', 'unanswered', { qos: 2, dup: publish?.dup }));
    back.send(ack('pubcomp', pubrel!.messageId!), ack('pubrec', publish!.messageId!));
    expect(await back.next()).toEqual(ack('pubrel', publish!.messageId!));
    back.send(ack('pubcomp', publish!.messageId!));
    await back.expectNothing();
  });

  it('remembers an inbound QoS 2 message across a reconnect: the resent PUBLISH is not routed twice [MQTT-4.3.3-2]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'sub' });
    expect(await subscribe(s, [['in/#', 0]])).toEqual([0]);
    const p = await connectClient(b.port, { clientId: 'pub2', clean: false });
    p.send(publishPacket('in/x', 'once', { qos: 2, messageId: 5 }));
    expect(await p.next()).toEqual(ack('pubrec', 5));
    p.drop();
    await p.closed();
    // The unreleased QoS 2 message is session state, so the session is present [MQTT-3.2.2-2]; aedes
    // reports a session only when it has subscriptions (AEDES_DEVIATIONS.sessionPresentNeedsSubscriptions).
    const back = await connectClient(b.port, { clientId: 'pub2', clean: false }, kind !== 'aedes');
    back.send(publishPacket('in/x', 'once', { qos: 2, messageId: 5, dup: true }));
    expect(await back.next()).toEqual(ack('pubrec', 5));
    back.send(ack('pubrel', 5));
    expect(await back.next()).toEqual(ack('pubcomp', 5));
    expect(await s.next()).toEqual(pub('in/x', 'once'));
    await s.expectNothing();
  });

  it('delivers a retained message queued for an offline subscriber with RETAIN=0 [MQTT-3.3.1-9]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'durable', clean: false });
    expect(await subscribe(s, [['k/#', 1]])).toEqual([1]);
    await s.disconnect();
    await publishFrom(b.port, [publishPacket('k/retained', 'r', { qos: 1, retain: true, messageId: 1 })]);
    const back = await connectClient(b.port, { clientId: 'durable', clean: false }, true);
    // It matched the established (stored) subscription; it is not a retained message sent on SUBSCRIBE.
    expect(await back.next()).toEqual(expectedFor(kind, 'offlineQueueKeepsRetainFlag', pub('k/retained', 'r', { qos: 1, retain: false })));
    await back.expectNothing();
  });

  it('remembers an UNSUBSCRIBE in the session', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'u', clean: false });
    expect(await subscribe(s, [['u/a', 1], ['u/b', 1]])).toEqual([1, 1]);
    s.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['u/a'] });
    expect(await s.next()).toEqual(ack('unsuback', 2));
    await s.disconnect();
    await publishFrom(b.port, [publishPacket('u/a', 'gone', { qos: 1, messageId: 1 }), publishPacket('u/b', 'kept', { qos: 1, messageId: 2 })]);
    const back = await connectClient(b.port, { clientId: 'u', clean: false }, true);
    expect(await back.next()).toEqual(pub('u/b', 'kept', { qos: 1 }));
    await back.expectNothing();
  });

  it('does not queue messages on $ topics for an offline # subscriber [MQTT-4.7.2-1]', async () => {
    const b = await startCore(kind);
    const s = await connectClient(b.port, { clientId: 'all', clean: false });
    expect(await subscribe(s, [['#', 1]])).toEqual([1]);
    await s.disconnect();
    await new Promise<void>((resolve, reject) =>
      b.core.publish({ cmd: 'publish', topic: '$aviary/x', payload: Buffer.from('dollar'), qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
    await publishFrom(b.port, [publishPacket('plain/x', 'plain', { qos: 1, messageId: 1 })]);
    const back = await connectClient(b.port, { clientId: 'all', clean: false }, true);
    const got = [await back.next()];
    await sleep(QUIET_MS);
    got.push(...back.pending);
    expect(got).toEqual(expectedFor(kind, 'offlineDollarTopicsMatchWildcards', [pub('plain/x', 'plain', { qos: 1 })]));
  });

  it('lets a second connection with the same ClientId take over: the first is closed and its will published [MQTT-3.1.4-2]', async () => {
    const b = await startCore(kind);
    const watcher = await connectClient(b.port, { clientId: 'watcher' });
    expect(await subscribe(watcher, [['will/#', 0]])).toEqual([0]);
    const first = await connectClient(b.port, { clientId: 'same', clean: false, will: { topic: 'will/same', payload: 'first lost' } });
    expect(await subscribe(first, [['t/#', 1]])).toEqual([1]);
    const second = await connectClient(b.port, { clientId: 'same', clean: false }, true);
    await first.closed();
    expect(first.transcript).toEqual([
      { cmd: 'connack', returnCode: 0, sessionPresent: false },
      { cmd: 'suback', messageId: 1, granted: [1] },
    ]);
    // The session moved to the new connection.
    await publishFrom(b.port, [publishPacket('t/x', 'to second', { qos: 1, messageId: 1 })]);
    expect(await second.next()).toEqual(pub('t/x', 'to second', { qos: 1 }));
    // The first connection ended without DISCONNECT: its will is published [MQTT-3.1.2-8].
    expect(await watcher.next()).toEqual(pub('will/same', 'first lost'));
    await watcher.expectNothing();
  });

  it('keeps sessions and retained messages across a core restart on the same persistence', async () => {
    const persistence = new MemoryPersistence();
    try {
      const first = await startCore(kind, { persistence });
      const s = await connectClient(first.port, { clientId: 'durable', clean: false });
      expect(await subscribe(s, [['k/#', 1]])).toEqual([1]);
      await s.disconnect();
      await publishFrom(first.port, [publishPacket('k/before', 'b', { qos: 1, messageId: 1 }), publishPacket('x/retained', 'r', { qos: 1, retain: true, messageId: 2 })]);
      await first.close();

      const second = await startCore(kind, { persistence });
      await publishFrom(second.port, [publishPacket('k/after', 'a', { qos: 1, messageId: 1 })]);
      const back = await connectClient(second.port, { clientId: 'durable', clean: false }, true);
      const got = await back.nextN(2);
      expect(got).toEqual([pub('k/before', 'b', { qos: 1 }), pub('k/after', 'a', { qos: 1 })]);
      const late = await connectClient(second.port, { clientId: 'late' });
      expect(await subscribe(late, [['x/retained', 0]])).toEqual([0]);
      expect(await late.next()).toEqual(pub('x/retained', 'r', { retain: true }));
    } finally {
      await closeAll();
      await persistence.destroy();
    }
  });
});
