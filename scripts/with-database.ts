import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../libs/config/src/config.js';
import { startEmbeddedPostgres } from '../libs/database/src/embedded.js';

/**
 * Runs `fn` against DATABASE_URL when set, else against the embedded PostgreSQL of AVIARY_DATA_DIR
 * (or, with `scratch`, a throw-away embedded cluster in a temp dir).
 */
export async function withDatabase<T>(fn: (url: string) => Promise<T>, opts: { scratch?: boolean } = {}): Promise<T> {
  const config = loadConfig();
  if (config.databaseUrl) return fn(config.databaseUrl);
  const dataDir = opts.scratch ? await mkdtemp(join(tmpdir(), 'aviary-scratch-')) : config.dataDir;
  const db = await startEmbeddedPostgres({ dataDir, persistent: !opts.scratch });
  try {
    return await fn(db.url);
  } finally {
    await db.stop();
    if (opts.scratch) await rm(dataDir, { recursive: true, force: true });
  }
}
