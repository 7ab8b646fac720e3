import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../../libs/config/src/config.js';
import { createDataSource } from '../../../libs/core/src/data-source.js';
import { testDatabaseUrl } from '../../../libs/testing/src/database.js';
import { RpcNonceStore } from '../src/rpc/rpc-nonce.store.js';

describe('RpcNonceStore (PostgreSQL)', () => {
  let ds: DataSource;
  let store: RpcNonceStore;
  const soon = () => new Date(Date.now() + 60_000);
  const past = () => new Date(Date.now() - 1000);

  beforeAll(async () => {
    const url = await testDatabaseUrl();
    ds = createDataSource(url, 4);
    await ds.initialize();
    store = new RpcNonceStore({ ...loadConfig({}), databaseUrl: url });
  });
  afterAll(async () => {
    await store.onModuleDestroy();
    await ds.destroy();
  });

  it('should accept a nonce once per AccessKey', async () => {
    const nonce = randomUUID();
    expect(await store.use('LTAIa', nonce, soon())).toBe(true);
    expect(await store.use('LTAIa', nonce, soon())).toBe(false);
    expect(await store.use('LTAIb', nonce, soon())).toBe(true);
  });

  it('should let exactly one of many concurrent uses win', async () => {
    const nonce = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => store.use('LTAIrace', nonce, soon())));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('should treat an expired row as free and purge expired rows', async () => {
    const nonce = randomUUID();
    expect(await store.use('LTAIexp', nonce, past())).toBe(true);
    expect(await store.use('LTAIexp', nonce, soon())).toBe(true); // the old row had expired
    expect(await store.use('LTAIexp', nonce, soon())).toBe(false);

    const stale = randomUUID();
    await store.use('LTAIexp', stale, past());
    expect(await store.purge()).toBeGreaterThanOrEqual(1);
    const left: { n: string }[] = await ds.query('SELECT count(*)::text AS n FROM rpc_nonces WHERE nonce = $1', [stale]);
    expect(left[0]!.n).toBe('0');
    const live: { n: string }[] = await ds.query('SELECT count(*)::text AS n FROM rpc_nonces WHERE nonce = $1', [nonce]);
    expect(live[0]!.n).toBe('1');
  });
});
