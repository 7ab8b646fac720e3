import pg from 'pg';
import { runMigrations } from '../../core/src/data-source.js';

let migrated: Promise<string> | undefined;

/**
 * URL of this test run's database (created by the Jest global setup), with the real migrations applied.
 * Workers race to migrate; an advisory lock makes the first one do it and the others find it done.
 */
export function testDatabaseUrl(): Promise<string> {
  migrated ??= (async () => {
    const url = process.env.AVIARY_TEST_DATABASE_URL;
    if (!url) throw new Error('AVIARY_TEST_DATABASE_URL is unset: run tests through `npm test` (Jest global setup)');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock(4242)');
      await runMigrations(url);
    } finally {
      await client.query('SELECT pg_advisory_unlock(4242)').catch(() => undefined);
      await client.end();
    }
    return url;
  })();
  return migrated;
}
