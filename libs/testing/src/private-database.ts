/**
 * Test support: a migrated database of a spec file's own, next to the run's database (persistence specs, the cluster test).
 *
 * The persistence specs truncate the mqtt_* tables between cases (the upstream suite counts clients
 * globally); in the run's shared database that would wipe the sessions of broker tests running in the
 * other Jest worker. Not used by the broker.
 */
import pg from 'pg';
import { runMigrations } from '../../core/src/data-source.js';
import { testDatabaseUrl } from './database.js';

export interface PrivateDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function privateDatabase(tag: string): Promise<PrivateDatabase> {
  if (!/^[a-z0-9_]+$/.test(tag)) throw new Error('tag must be [a-z0-9_]+');
  const base = await testDatabaseUrl();
  const url = new URL(base);
  const name = `${url.pathname.slice(1)}_${tag}`.slice(0, 63);
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS "${name}"`);
  await admin(`CREATE DATABASE "${name}"`);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
