import mqemitter from 'mqemitter';
import pg from 'pg';
import { PgPersistence, type PgPersistenceOptions } from './pg-persistence.js';
import { type PrivateDatabase, privateDatabase } from '../../../../libs/testing/src/private-database.js';
import { collectUpstreamCases, runUpstreamCase } from './upstream-suite.js';

const TABLES = 'mqtt_subscriptions, mqtt_retained, mqtt_outgoing, mqtt_incoming, mqtt_wills';

let db: PrivateDatabase;
let url: string;
let admin: pg.Pool;
/** Every persistence a test made, so a failing test does not leak its pool and timers. */
const live = new Set<PgPersistence>();

beforeAll(async () => {
  db = await privateDatabase('persistence');
  url = db.url;
  admin = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection ended by the server must not crash the file as an unhandled 'error' event
  // (seen once in CI: 57P01 on an idle admin connection); a query on it still fails loudly.
  admin.on('error', () => undefined);
});

afterEach(async () => {
  for (const p of live) await p.destroy().catch(() => undefined);
  live.clear();
});

afterAll(async () => {
  await admin.end();
  await db.drop();
});

async function cleanDatabase(): Promise<void> {
  await admin.query(`TRUNCATE ${TABLES}`);
}

function newPersistence(opts: Partial<PgPersistenceOptions> = {}): PgPersistence {
  const p = new PgPersistence({ connectionString: url, sweepIntervalMs: 0, ...opts });
  live.add(p);
  return p;
}

/** What aedes hands to setup(), as the upstream suite builds it. */
function fakeBroker(id: string) {
  const mq = mqemitter();
  return { id, mq, counter: 0, publish: mq.emit.bind(mq), subscribe: mq.on.bind(mq), unsubscribe: mq.removeListener.bind(mq) };
}

async function readAll<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe('PgPersistence passes the aedes-persistence abstract suite', () => {
  const cases = collectUpstreamCases(async () => {
    await cleanDatabase();
    return newPersistence();
  });

  it('runs the whole upstream suite', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await runUpstreamCase(c);
  });
});

/** A real pool that counts what goes to PostgreSQL: direct queries and connections taken by the write queue. */
function countingPool(): { pool: pg.Pool; trips: () => number } {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  let n = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: unknown }).query = (...args: unknown[]) => {
    n++;
    return query(...args);
  };
  (pool as unknown as { connect: unknown }).connect = (...args: unknown[]) => {
    n++;
    return connect(...args);
  };
  return { pool, trips: () => n };
}

describe('PgPersistence answers clients without stored state from memory', () => {
  beforeEach(cleanDatabase);

  /** What aedes does for a clean-session client: CONNECT, one PUBACK, close. */
  async function cleanSessionLifecycle(p: PgPersistence, client: { id: string }): Promise<void> {
    await p.cleanSubscriptions(client);
    expect(await p.delWill(client)).toBeUndefined();
    await p.cleanIncoming(client);
    expect(await readAll(p.outgoingStream(client))).toEqual([]);
    expect(await p.outgoingClearMessageId(client, { cmd: 'puback', messageId: 1 })).toBeUndefined();
    expect(await p.getWill(client)).toBeUndefined();
    await p.cleanIncoming(client);
  }

  it('a clean-session client that never stored anything costs no database round trip', async () => {
    const { pool, trips } = countingPool();
    try {
      const p = newPersistence({ pool });
      await p.setup(fakeBroker('b'));
      const before = trips();
      await cleanSessionLifecycle(p, { id: 'GID_x@@@never-durable' });
      await expect(p.incomingGetPacket({ id: 'GID_x@@@never-durable' }, { messageId: 1 })).rejects.toThrow('no such packet');
      expect(trips() - before).toBe(0);
      expect(p.durableClientCounts()).toEqual({ subscriptions: 0, outgoing: 0, incoming: 0, will: 0, pending: 0 });
    } finally {
      await pool.end();
    }
  });

  it('clients with state stored by a previous process are known at setup, and cleaned in the database', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('old'));
    const ids = { subs: { id: 'c-subs' }, out: { id: 'c-out' }, inc: { id: 'c-inc' }, will: { id: 'c-will' } };
    await a.addSubscriptions(ids.subs, [{ topic: 't/#', qos: 1 }]);
    await a.outgoingEnqueueCombi([{ clientId: ids.out.id }], { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, brokerId: 'old', brokerCounter: 1 });
    await a.incomingStorePacket(ids.inc, { cmd: 'publish', topic: 't', payload: Buffer.from('q2'), qos: 2, messageId: 3 });
    await a.putWill(ids.will, { topic: 't/w', payload: Buffer.from('bye'), qos: 0, retain: false });
    await a.destroy();
    live.delete(a);

    const b = newPersistence();
    await b.setup(fakeBroker('new'));
    expect(b.durableClientCounts()).toEqual({ subscriptions: 1, outgoing: 1, incoming: 1, will: 1, pending: 0 });
    // The clean-session CONNECT of each of them must really delete their rows.
    await b.cleanSubscriptions(ids.subs);
    expect((await admin.query('SELECT 1 FROM mqtt_subscriptions')).rowCount).toBe(0);
    expect(await b.subscriptionsByTopic('t/a')).toEqual([]);
    expect((await b.delWill(ids.will))?.payload).toEqual(Buffer.from('bye'));
    expect((await admin.query('SELECT 1 FROM mqtt_wills')).rowCount).toBe(0);
    await b.cleanIncoming(ids.inc);
    expect((await admin.query('SELECT 1 FROM mqtt_incoming')).rowCount).toBe(0);
    const queued = await readAll(b.outgoingStream(ids.out));
    expect(queued.map((x) => (x.payload as Buffer).toString())).toEqual(['x']);
    expect((await b.outgoingClearMessageId(ids.out, queued[0]))?.payload).toEqual(Buffer.from('x'));
    expect((await admin.query('SELECT 1 FROM mqtt_outgoing')).rowCount).toBe(0);
    // Found empty on the next CONNECT, the queue is forgotten; the CONNECT after that needs no query.
    expect(await readAll(b.outgoingStream(ids.out))).toEqual([]);
    expect(b.durableClientCounts()).toMatchObject({ subscriptions: 0, outgoing: 0, incoming: 0, will: 0 });
  });

  it('a skipped write does not resolve before an earlier write of the same client is committed', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('b'));
    const c = { id: 'c1' };
    await a.addSubscriptions(c, [{ topic: 'x', qos: 1 }]);
    const order: string[] = [];
    // Issued in one turn: the first clean has a DELETE to commit, the second has nothing left to do.
    const first = a.cleanSubscriptions(c).then(() => order.push('delete committed'));
    const second = a.cleanSubscriptions(c).then(() => order.push('skipped clean'));
    await Promise.all([first, second]);
    expect(order).toEqual(['delete committed', 'skipped clean']);
    expect((await admin.query('SELECT 1 FROM mqtt_subscriptions')).rowCount).toBe(0);
  });

  it('an enqueue racing the empty-queue check keeps the client known, so its message is delivered', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('b'));
    const c = { id: 'c1' };
    await a.outgoingEnqueueCombi([{ clientId: c.id }], { cmd: 'publish', topic: 't', payload: Buffer.from('1'), qos: 1, brokerId: 'b', brokerCounter: 1 });
    await a.outgoingClearMessageId(c, { brokerId: 'b', brokerCounter: 1 });
    // The stream's query runs on the pool while an enqueue is issued: the client must stay known.
    const reading = readAll(a.outgoingStream(c));
    await new Promise((resolve) => setImmediate(resolve));
    const enqueued = a.outgoingEnqueueCombi([{ clientId: c.id }], { cmd: 'publish', topic: 't', payload: Buffer.from('2'), qos: 1, brokerId: 'b', brokerCounter: 2 });
    await reading;
    await enqueued;
    const again = await readAll(a.outgoingStream(c));
    expect(again.map((x) => (x.payload as Buffer).toString())).toEqual(['2']);
  });
});

describe('PgPersistence durability', () => {
  beforeEach(cleanDatabase);

  it('a second persistence on the same database sees what the first stored (broker restart)', async () => {
    const a = newPersistence();
    const brokerA = fakeBroker('broker-A');
    await a.setup(brokerA);
    const device = { id: 'GID_x@@@dev1' };
    await a.addSubscriptions(device, [
      { topic: 'inst/t/+', qos: 1 },
      { topic: 'inst/t/q0', qos: 0 },
    ]);
    await a.storeRetained({ cmd: 'publish', topic: 'inst/t/r', payload: Buffer.from('kept'), qos: 1, retain: true });
    await a.putWill(device, { topic: 'inst/t/will', payload: Buffer.from('bye'), qos: 1, retain: false });
    const subs = await a.subscriptionsByTopic('inst/t/a');
    expect(subs).toHaveLength(1);
    // Three QoS 1 messages queued while the device is offline, enqueued concurrently as aedes does.
    await Promise.all(
      ['m1', 'm2', 'm3'].map((text) => {
        brokerA.counter++;
        const packet = { cmd: 'publish', topic: 'inst/t/a', payload: Buffer.from(text), qos: 1, retain: false, brokerId: 'broker-A', brokerCounter: brokerA.counter };
        return a.outgoingEnqueueCombi(subs as { clientId: string }[], packet);
      }),
    );
    await a.incomingStorePacket(device, { cmd: 'publish', topic: 'inst/t/in', payload: Buffer.from('q2'), qos: 2, messageId: 9 });
    await a.destroy();
    live.delete(a);

    const b = newPersistence();
    const brokerB = fakeBroker('broker-A'); // same id on purpose: the counter must not restart at 0
    await b.setup(brokerB);
    expect(brokerB.counter).toBe(3);
    expect(await b.subscriptionsByClient(device)).toEqual([
      { topic: 'inst/t/+', qos: 1, rh: undefined, rap: undefined, nl: undefined },
      { topic: 'inst/t/q0', qos: 0, rh: undefined, rap: undefined, nl: undefined },
    ]);
    expect(await b.subscriptionsByTopic('inst/t/zzz')).toEqual([
      { clientId: device.id, topic: 'inst/t/+', qos: 1, rh: undefined, rap: undefined, nl: undefined },
    ]);
    expect(await b.countOffline()).toEqual({ subsCount: 1, clientsCount: 1 });
    const retained = await readAll(b.createRetainedStream('inst/#'));
    expect(retained).toEqual([{ cmd: 'publish', topic: 'inst/t/r', payload: Buffer.from('kept'), qos: 1, retain: true }]);

    const queued = await readAll(b.outgoingStream(device));
    expect(queued.map((p) => (p.payload as Buffer).toString())).toEqual(['m1', 'm2', 'm3']);
    expect(queued[0]).toMatchObject({ brokerId: 'broker-A', brokerCounter: 1, qos: 1, messageId: undefined });
    // Reconnect: aedes gives each a messageId, sends it, and clears it on PUBACK.
    for (const [i, packet] of queued.entries()) {
      await b.outgoingUpdate(device, { ...packet, messageId: i + 1 });
    }
    const acked = await b.outgoingClearMessageId(device, { messageId: 2 });
    expect((acked?.payload as Buffer).toString()).toBe('m2');
    expect((await readAll(b.outgoingStream(device))).map((p) => p.messageId)).toEqual([1, 3]);

    expect(await b.incomingGetPacket(device, { messageId: 9 })).toMatchObject({ topic: 'inst/t/in', qos: 2, messageId: 9 });
    // broker-A is not among the live brokers of the new process: its wills are due.
    const wills = await readAll(b.streamWill({ 'broker-B': Date.now() }));
    expect(wills).toEqual([
      { topic: 'inst/t/will', payload: Buffer.from('bye'), qos: 1, retain: false, brokerId: 'broker-A', clientId: device.id },
    ]);
    expect(await readAll(b.streamWill({ 'broker-A': Date.now() }))).toEqual([]);
  });

  it('applies writes in call order even when aedes does not await them', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('b'));
    const c = { id: 'c1' };
    const pending = [
      a.addSubscriptions(c, [{ topic: 'x', qos: 1 }]),
      a.removeSubscriptions(c, ['x']),
      a.addSubscriptions(c, [{ topic: 'y', qos: 2 }]),
      a.storeRetained({ topic: 'r', payload: Buffer.from('1'), qos: 0, retain: true }),
      a.storeRetained({ topic: 'r', payload: Buffer.from('2'), qos: 0, retain: true }),
      a.putWill(c, { topic: 'w', payload: Buffer.from('old'), qos: 0 }),
      a.delWill(c),
    ];
    await Promise.all(pending);
    const rows = await admin.query('SELECT topic, qos FROM mqtt_subscriptions');
    expect(rows.rows).toEqual([{ topic: 'y', qos: 2 }]);
    const retained = await admin.query('SELECT payload FROM mqtt_retained');
    expect(retained.rows.map((r) => r.payload.toString())).toEqual(['2']);
    expect((await admin.query('SELECT 1 FROM mqtt_wills')).rowCount).toBe(0);
  });

  it('an empty retained payload deletes the stored message', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('b'));
    await a.storeRetained({ topic: 'r', payload: Buffer.from('1'), qos: 0, retain: true });
    await a.storeRetained({ topic: 'r', payload: Buffer.alloc(0), qos: 0, retain: true });
    expect((await admin.query('SELECT 1 FROM mqtt_retained')).rowCount).toBe(0);
  });

  it('drops offline messages older than the expiry, at read time and in the sweep', async () => {
    const a = newPersistence({ messageExpiryMs: 200 });
    await a.setup(fakeBroker('b'));
    const sub = { clientId: 'c1', topic: 't', qos: 1 };
    await a.outgoingEnqueueCombi([sub], { cmd: 'publish', topic: 't', payload: Buffer.from('old'), qos: 1, brokerId: 'b', brokerCounter: 1 });
    await a.incomingStorePacket({ id: 'c1' }, { cmd: 'publish', topic: 't', payload: Buffer.from('q2'), qos: 2, messageId: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await a.outgoingEnqueueCombi([sub], { cmd: 'publish', topic: 't', payload: Buffer.from('new'), qos: 1, brokerId: 'b', brokerCounter: 2 });
    const visible = await readAll(a.outgoingStream({ id: 'c1' }));
    expect(visible.map((p) => (p.payload as Buffer).toString())).toEqual(['new']);
    expect(await a.sweep()).toEqual({ outgoing: 1, incoming: 1 });
    expect((await admin.query('SELECT 1 FROM mqtt_outgoing')).rowCount).toBe(1);
  });

  it('the periodic sweep runs by itself', async () => {
    const a = newPersistence({ messageExpiryMs: 50, sweepIntervalMs: 100 });
    await a.setup(fakeBroker('b'));
    await a.outgoingEnqueueCombi([{ clientId: 'c1' }], { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await admin.query('SELECT 1 FROM mqtt_outgoing')).rowCount).toBe(0);
  });

  it('streams a long offline queue page by page, without packets enqueued after it started', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('b'));
    const subs = [{ clientId: 'c1' }];
    for (let i = 1; i <= 450; i++) {
      void a.outgoingEnqueueCombi(subs, { cmd: 'publish', topic: 't', payload: Buffer.from(String(i)), qos: 1, brokerId: 'b', brokerCounter: i });
    }
    await a.outgoingEnqueueCombi(subs, { cmd: 'publish', topic: 't', payload: Buffer.from('451'), qos: 1, brokerId: 'b', brokerCounter: 451 });
    const seen: string[] = [];
    for await (const p of a.outgoingStream({ id: 'c1' })) {
      seen.push((p.payload as Buffer).toString());
      if (seen.length === 1) await a.outgoingEnqueueCombi(subs, { cmd: 'publish', topic: 't', payload: Buffer.from('late'), qos: 1, brokerId: 'b', brokerCounter: 999 });
    }
    expect(seen).toEqual(Array.from({ length: 451 }, (_, i) => String(i + 1)));
  });

  it('rejects bad calls with errors and keeps working', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('b'));
    const c = { id: 'c1' };
    await expect(a.outgoingUpdate(c, { cmd: 'publish', brokerId: 'b', brokerCounter: 5, messageId: 1 })).rejects.toThrow('no such packet');
    await expect(a.incomingGetPacket(c, { messageId: 1 })).rejects.toThrow('no such packet');
    await expect(a.incomingDelPacket(c, { messageId: 1 })).rejects.toThrow('no such packet');
    await expect(a.incomingStorePacket(c, { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2 })).rejects.toThrow('no messageId');
    expect(await a.outgoingClearMessageId(c, { messageId: 77 })).toBeUndefined();
    expect(await a.getWill(c)).toBeUndefined();
    expect(await a.delWill(c)).toBeUndefined();
  });

  it('a write PostgreSQL refuses fails alone, not the writes batched with it', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('b'));
    // PostgreSQL text cannot hold NUL; issued in the same turn, both writes share one batch.
    const bad = a.addSubscriptions({ id: 'evil\u0000id' }, [{ topic: 't', qos: 1 }]);
    const good = a.addSubscriptions({ id: 'fine' }, [{ topic: 't', qos: 1 }]);
    await expect(bad).rejects.toThrow();
    await expect(good).resolves.toBeUndefined();
    const rows = await admin.query('SELECT client_id FROM mqtt_subscriptions');
    expect(rows.rows).toEqual([{ client_id: 'fine' }]);
  });

  it('refuses use after destroy, and a second destroy', async () => {
    const a = newPersistence();
    await a.setup(fakeBroker('b'));
    await a.destroy();
    live.delete(a);
    await expect(a.destroy()).rejects.toThrow('destroyed called twice!');
    await expect(a.cleanIncoming({ id: 'c' })).rejects.toThrow('persistence destroyed');
  });

  it('needs a database to talk to', () => {
    expect(() => new PgPersistence({})).toThrow('connectionString or a pool');
    expect(() => new PgPersistence({ connectionString: url, messageExpiryMs: 0 })).toThrow('messageExpiryMs');
  });
});
