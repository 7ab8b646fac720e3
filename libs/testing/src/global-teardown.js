import pg from 'pg';

export default async function globalTeardown() {
  const db = globalThis.__AVIARY_TEST_DB__;
  if (db && !process.env.AVIARY_KEEP_TEST_DB) {
    const admin = new pg.Client({ connectionString: db.adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
    await admin.end();
  }
  await globalThis.__AVIARY_EMBEDDED__?.stop();
}
