import { createPersistence } from '../src/persistence/index.js';
import { BrokerFixture, connectCollecting, sleep, waitFor, type Tenant } from './broker-fixture.js';

/**
 * QoS 1 delivery when publishes are stored in PostgreSQL at their own pace (aedes-internals.ts, 5): aedes
 * numbers messages when a publish starts and delivers them once stored, so they reach subscribers out of
 * numbering order, which its duplicate filter used to take for duplicates.
 */
describe('broker QoS 1 delivery with the PostgreSQL persistence', () => {
  let f: BrokerFixture;
  let t: Tenant;

  beforeAll(async () => {
    f = await BrokerFixture.start((url) => ({ persistence: createPersistence({ databaseUrl: url }) }));
    t = await f.tenant(['T1']);
  });

  afterAll(async () => {
    await f.stop();
  });

  const numbered = (got: { payload: string }[], prefix: string): number[] =>
    got.filter((m) => m.payload.startsWith(prefix)).map((m) => Number(m.payload.slice(prefix.length)));

  it('should deliver every QoS 1 message that QoS 0 messages on the same topic overtook', async () => {
    // A durable subscriber makes every QoS 1 publish wait for its offline copy to commit.
    const durable = await connectCollecting(f, t, 'GID_dev@@@mixed-durable', { clean: false });
    await durable.client.subscribeAsync('T1/mixed', { qos: 1 });
    const clean = await connectCollecting(f, t, 'GID_dev@@@mixed-clean');
    await clean.client.subscribeAsync('T1/mixed', { qos: 1 });
    const p1 = await f.connect(t, 'GID_dev@@@mixed-q1');
    const p0 = await f.connect(t, 'GID_dev@@@mixed-q0');
    let stop = false;
    const qos0 = (async () => {
      for (let i = 0; !stop; i++) {
        p0.publish('T1/mixed', `z${i}`, { qos: 0 });
        await sleep(0);
      }
    })();
    for (let i = 0; i < 200; i++) await p1.publishAsync('T1/mixed', `q${i}`, { qos: 1 });
    stop = true;
    await qos0;
    const all = Array.from({ length: 200 }, (_, i) => i);
    await waitFor(() => numbered(clean.got, 'q').length >= 200 && numbered(durable.got, 'q').length >= 200, 10_000).catch(() => undefined);
    expect(numbered(clean.got, 'q')).toEqual(all);
    expect(numbered(durable.got, 'q')).toEqual(all);
    expect(numbered(clean.got, 'z').length).toBeGreaterThan(0); // the QoS 0 traffic did flow
    for (const c of [durable.client, clean.client, p1, p0]) c.end(true);
  }, 30_000);

  it('should deliver a whole offline queue to a session that reconnects while live messages flow', async () => {
    const id = 'GID_dev@@@queue-live';
    const first = await f.connect(t, id, { clean: false });
    await first.subscribeAsync('T1/queue', { qos: 1 });
    await first.endAsync();
    const pub = await f.connect(t, 'GID_dev@@@queue-pub');
    for (let i = 0; i < 300; i++) await pub.publishAsync('T1/queue', `old${i}`, { qos: 1 });
    let stop = false;
    let live = 0;
    const publishing = (async () => {
      while (!stop) await pub.publishAsync('T1/queue', `new${live++}`, { qos: 1 });
    })();
    await sleep(20);
    const back = await connectCollecting(f, t, id, { clean: false });
    await waitFor(() => numbered(back.got, 'old').length >= 300, 10_000).catch(() => undefined);
    stop = true;
    await publishing;
    await waitFor(() => numbered(back.got, 'new').length >= live, 10_000).catch(() => undefined);
    expect(numbered(back.got, 'old')).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(new Set(numbered(back.got, 'new'))).toEqual(new Set(Array.from({ length: live }, (_, i) => i)));
    back.client.end(true);
    pub.end(true);
  }, 30_000);

  it('should still deliver a message once to a client with two matching subscriptions', async () => {
    const s = await connectCollecting(f, t, 'GID_dev@@@overlap');
    await s.client.subscribeAsync({ 'T1/overlap/#': { qos: 1 }, 'T1/overlap/x': { qos: 1 } });
    const pub = await f.connect(t, 'GID_dev@@@overlap-pub');
    await pub.publishAsync('T1/overlap/x', 'once', { qos: 1 });
    await pub.publishAsync('T1/overlap/x', 'twice', { qos: 0 });
    await waitFor(() => s.got.length >= 2);
    await sleep(200);
    expect(s.got.map((m) => m.payload)).toEqual(['once', 'twice']);
    s.client.end(true);
    pub.end(true);
  });
});
