import { CORE_KINDS, closeAll, connectClient, pub, publishPacket, QUIET_MS, sleep, startCore, subscribe } from './core-harness.js';

// Keep Alive (MQTT 3.1.1 §3.1.2.10): a client heard from within 1.5 × keepalive stays, one that is not is
// disconnected and its will published. aedes: test/keep-alive.js. One test runs every case at once on one
// core, so the suite waits for the keepalive only once.
describe.each(CORE_KINDS)('%s core: keepalive', (kind) => {
  afterEach(closeAll);

  it('disconnects clients silent for 1.5 × keepalive (publishing their will), keeps the ones that send anything [MQTT-3.1.2-24]', async () => {
    const b = await startCore(kind);
    const watcher = await connectClient(b.port, { clientId: 'watcher' });
    expect(await subscribe(watcher, [['ka/will/+', 0]])).toEqual([0]);
    const will = (id: string): { topic: string; payload: string } => ({ topic: `ka/will/${id}`, payload: id });
    const silent = await connectClient(b.port, { clientId: 'silent', keepalive: 1, will: will('silent') });
    // Receives a message every tick but sends nothing: only what the client sends counts.
    const listener = await connectClient(b.port, { clientId: 'listener', keepalive: 1, will: will('listener') });
    expect(await subscribe(listener, [['ka/noise', 0]])).toEqual([0]);
    const pinger = await connectClient(b.port, { clientId: 'pinger', keepalive: 1, will: will('pinger') });
    const talker = await connectClient(b.port, { clientId: 'talker', keepalive: 1, will: will('talker') });
    // Keep Alive 0 turns the mechanism off [MQTT-3.1.2-10 note].
    const unbounded = await connectClient(b.port, { clientId: 'unbounded', keepalive: 0, will: will('unbounded') });

    // 2.7 s: well past 1.5 s, so a core that waits up to twice the keepalive still has time to act.
    for (let t = 0; t < 2700; t += 300) {
      pinger.send({ cmd: 'pingreq' });
      talker.send(publishPacket('ka/noise', `${t}`));
      await sleep(300);
    }
    await silent.closed(1500);
    await listener.closed(1500);
    expect({ pinger: pinger.isClosed, talker: talker.isClosed, unbounded: unbounded.isClosed }).toEqual({ pinger: false, talker: false, unbounded: false });
    // Every PINGREQ was answered.
    expect(pinger.transcript.filter((p) => p.cmd === 'pingresp')).toHaveLength(9);
    await sleep(QUIET_MS);
    const wills = watcher.pending.map((m) => m.topic).sort();
    expect(wills).toEqual(['ka/will/listener', 'ka/will/silent']);
    expect(watcher.pending.find((m) => m.topic === 'ka/will/silent')).toEqual(pub('ka/will/silent', 'silent'));
  });
});
