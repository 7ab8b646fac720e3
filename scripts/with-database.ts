import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../libs/config/src/config.js';
import { startEmbeddedPostgres } from '../libs/database/src/embedded.js';

/**
 * Runs `fn` against the configured database: DATABASE_URL when set, else the embedded PostgreSQL of
 * AVIARY_DATA_DIR. With `scratch`, `fn` gets a throw-away database instead (a temporary database on the
 * DATABASE_URL server, or a temporary embedded cluster), so tools like the migration generator and the
 * OpenAPI export never touch real data.
 */
export async function withDatabase<T>(fn: (url: string) => Promise<T>, opts: { scratch?: boolean } = {}): Promise<T> {
  const config = loadConfig();
  if (config.databaseUrl && !opts.scratch) return fn(config.databaseUrl);
  if (config.databaseUrl) return withTemporaryDatabase(config.databaseUrl, fn);
  const dataDir = opts.scratch ? await mkdtemp(join(tmpdir(), 'aviary-scratch-')) : config.dataDir;
  const db = await startEmbeddedPostgres({ dataDir, persistent: !opts.scratch });
  try {
    return await fn(db.url);
  } finally {
    await db.stop();
    if (opts.scratch) await rm(dataDir, { recursive: true, force: true });
  }
}

async function withTemporaryDatabase<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `aviary_scratch_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
