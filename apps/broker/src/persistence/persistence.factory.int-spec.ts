import { Redis } from 'ioredis';
import mqemitter from 'mqemitter';
import { testDatabaseUrl } from '../../../../libs/testing/src/database.js';
import { PgPersistence } from './pg-persistence.js';
import { createEmitter, createPersistence } from './persistence.factory.js';

// The machine's Redis; a database index of its own, emptied before and after, so other tests' keys
// (db 0) are never touched.
const REDIS_URL = 'redis://127.0.0.1:6379/11';

function fakeBroker(id: string) {
  const mq = mqemitter();
  return { id, mq, counter: 0, publish: mq.emit.bind(mq), subscribe: mq.on.bind(mq), unsubscribe: mq.removeListener.bind(mq) };
}

/** The promise API aedes 1.2 uses (the Redis factory returns aedes-persistence's callback wrapper). */
interface PromisePersistence {
  setup(broker: unknown): Promise<void>;
  addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<unknown>;
  subscriptionsByClient(client: { id: string }): Promise<{ topic: string; qos: number }[]>;
  subscriptionsByTopic(topic: string): Promise<{ clientId: string; topic: string; qos: number }[]>;
  destroy(): Promise<void>;
}

describe('createPersistence with Redis (aedes-persistence-redis 12)', () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    await redis.flushdb();
  });

  afterAll(async () => {
    await redis.flushdb();
    redis.disconnect();
  });

  it('sets up, stores a subscription and a restarted instance reads it back', async () => {
    const a = createPersistence({ redisUrl: REDIS_URL }) as PromisePersistence;
    expect(a).not.toBeInstanceOf(PgPersistence);
    await a.setup(fakeBroker('broker-A'));
    await a.addSubscriptions({ id: 'dev1' }, [{ topic: 'inst/t/+', qos: 1 }]);
    expect(await a.subscriptionsByClient({ id: 'dev1' })).toEqual([expect.objectContaining({ topic: 'inst/t/+', qos: 1 })]);
    expect(await a.subscriptionsByTopic('inst/t/x')).toEqual([expect.objectContaining({ clientId: 'dev1', qos: 1 })]);
    await a.destroy();

    const b = createPersistence({ redisUrl: REDIS_URL }) as PromisePersistence;
    await b.setup(fakeBroker('broker-B'));
    expect(await b.subscriptionsByTopic('inst/t/y')).toEqual([expect.objectContaining({ clientId: 'dev1', topic: 'inst/t/+' })]);
    await b.destroy();
  });
});

describe('createPersistence without Redis', () => {
  it('returns the PostgreSQL persistence', async () => {
    const p = createPersistence({ databaseUrl: await testDatabaseUrl(), sweepIntervalMs: 0 });
    expect(p).toBeInstanceOf(PgPersistence);
    await (p as PgPersistence).destroy();
  });

  it('refuses a configuration with neither Redis nor PostgreSQL', () => {
    expect(() => createPersistence({})).toThrow('connectionString or a pool');
  });
});

describe('createEmitter', () => {
  it('delivers through Redis when redisUrl is set', async () => {
    const a = createEmitter({ redisUrl: REDIS_URL });
    const b = createEmitter({ redisUrl: REDIS_URL });
    try {
      let received: (payload: unknown) => void = () => undefined;
      const got = new Promise<unknown>((resolve) => (received = resolve));
      // The callback fires once the SUBSCRIBE reached Redis.
      await new Promise<void>((resolve) => {
        b.on('x/+', (msg, done) => (received(msg.payload), done()), () => resolve());
      });
      a.emit({ topic: 'x/1', payload: 'hello' });
      expect(await got).toBe('hello');
    } finally {
      await Promise.all([new Promise<void>((r) => a.close(() => r())), new Promise<void>((r) => b.close(() => r()))]);
    }
  });

  it('is an in-process mqemitter by default', async () => {
    const e = createEmitter({});
    const got = new Promise<unknown>((resolve) => e.on('t', (msg, done) => (resolve(msg.payload), done())));
    e.emit({ topic: 't', payload: 1 });
    expect(await got).toBe(1);
    await new Promise<void>((r) => e.close(() => r()));
  });
});
