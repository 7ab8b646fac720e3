import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadConfig } from '../../../libs/config/src/config.js';
import { prepareDatabase } from '../../../libs/core/src/runtime.js';
import { basicAuth } from '../../../libs/testing/src/api-app.js';
import { startApi } from '../src/start.js';

/**
 * The embedded default, end to end: no DATABASE_URL, a fresh data dir → embedded PostgreSQL, migrations,
 * generated master key and root key (file 0600); then a full restart finds everything again.
 */
describe('embedded PostgreSQL and restart', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-restart-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  async function boot() {
    const db = await prepareDatabase(loadConfig({ AVIARY_DATA_DIR: dataDir, LOG_LEVEL: 'error' }), () => undefined);
    const app = await startApi(db.config, 0);
    const { port } = app.getHttpServer().address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, stop: async () => (await app.close(), await db.stop()) };
  }

  it('should generate the root key once and keep data across a restart', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const first = await boot();
    const file = join(dataDir, 'root-credentials.json');
    const creds = JSON.parse(await readFile(file, 'utf8')) as { AccessKeyId: string; AccessKeySecret: string };
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect(log.mock.calls.flat().join('\n')).toContain(creds.AccessKeySecret);
    const auth = basicAuth(creds.AccessKeyId, creds.AccessKeySecret);
    const created = await request(first.url).post('/v1/instances').set('Authorization', auth).send({ instanceName: 'survivor' }).expect(201);
    await first.stop();

    log.mockClear();
    const second = await boot();
    try {
      expect(log.mock.calls.flat().join('\n')).not.toContain(creds.AccessKeySecret);
      const got = await request(second.url).get(`/v1/instances/${created.body.instanceId}`).set('Authorization', auth).expect(200);
      expect(got.body.instanceName).toBe('survivor');
    } finally {
      await second.stop();
      log.mockRestore();
    }
  }, 120_000);
});
