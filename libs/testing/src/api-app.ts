import type { INestApplication } from '@nestjs/common';
import type { Clock } from '../../common/src/clock.js';
import { loadConfig, type AppConfig } from '../../config/src/config.js';
import { createApiApp } from '../../../apps/api/src/app.js';
import { AccessKeysService } from '../../core/src/access-keys/access-keys.service.js';
import { testDatabaseUrl } from './database.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestApi {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  config: AppConfig;
  rootAccessKeyId: string;
  rootAccessKeySecret: string;
  /** `Authorization` header value for the root key. */
  rootAuth: string;
  close(): Promise<void>;
}

/** A fixed master key for the test database (every test worker must agree on it). */
export const TEST_MASTER_KEY = 'a1'.repeat(32);
export const TEST_ROOT_ID = 'LTAItestroot0000000000';
export const TEST_ROOT_SECRET = 'test-root-secret-0123456789abcdef';

/** Boots the real API on an ephemeral port against this run's test database, with a known root key. */
export async function startApiApp(overrides: Partial<AppConfig> = {}, opts: { clock?: Clock } = {}): Promise<TestApi> {
  const config: AppConfig = {
    ...loadConfig({}),
    dataDir: await mkdtemp(join(tmpdir(), 'aviary-api-')),
    databaseUrl: await testDatabaseUrl(),
    masterKey: TEST_MASTER_KEY,
    rootAccessKeyId: TEST_ROOT_ID,
    rootAccessKeySecret: TEST_ROOT_SECRET,
    logLevel: 'error',
    ...overrides,
  };
  const app = await createApiApp(config, { clock: opts.clock });
  await app.get(AccessKeysService).ensureRoot();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    config,
    rootAccessKeyId: TEST_ROOT_ID,
    rootAccessKeySecret: TEST_ROOT_SECRET,
    rootAuth: basicAuth(TEST_ROOT_ID, TEST_ROOT_SECRET),
    close: () => app.close(),
  };
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** A unique, valid name for fixtures (instance names are unique across the test database). */
export function uniqueName(prefix = 'it'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
