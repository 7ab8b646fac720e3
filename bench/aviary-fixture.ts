import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SecretBox } from '../libs/common/src/crypto.js';
import { AccessKeyEntity } from '../libs/core/src/access-keys/access-key.entity.js';
import { createDataSource, runMigrations } from '../libs/core/src/data-source.js';
import { GroupEntity } from '../libs/core/src/groups/group.entity.js';
import { InstanceEntity } from '../libs/core/src/instances/instance.entity.js';
import { TopicEntity } from '../libs/core/src/topics/topic.entity.js';
import type { AuthSpec } from './conn.js';

/**
 * A scratch database for the Aviary target: created on the machine's PostgreSQL, migrated, seeded with
 * one instance, its `bench` parent topic, the `GID_bench` group and a root AccessKey, and dropped at the
 * end of the run.
 *
 * The instance's limits are raised to their upper bounds: the defaults (5,000 msg/s per instance) would
 * make every throughput figure the rate limiter's. The limiter still runs; only its ceiling moves, as an
 * operator would configure an instance meant for this load.
 */
export interface AviaryFixture {
  databaseUrl: string;
  /** AVIARY_DATA_DIR for the broker (nothing is written there while AVIARY_MASTER_KEY is set). */
  dataDir: string;
  masterKeyBase64: string;
  auth: AuthSpec;
  drop(): Promise<void>;
}

export const BENCH_PARENT_TOPIC = 'bench';

export async function createAviaryFixture(adminUrl: string): Promise<AviaryFixture> {
  const name = `aviary_bench_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const dataDir = await mkdtemp(join(tmpdir(), 'aviary-bench-data-'));
  const drop = async () => {
    await rm(dataDir, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  };

  try {
    await runMigrations(databaseUrl);
    const masterKey = randomBytes(32);
    const box = new SecretBox(masterKey);
    const instanceId = 'mqtt-benchaviary1';
    const groupId = 'GID_bench';
    const accessKeyId = 'BenchRootKey01';
    const accessKeySecret = randomBytes(24).toString('base64url');
    const ds = createDataSource(databaseUrl, 1);
    await ds.initialize();
    try {
      await ds.getRepository(InstanceEntity).insert({
        id: instanceId,
        name: 'bench',
        nameKey: 'bench',
        remark: 'benchmark fixture',
        maxConnections: 1_000_000,
        maxMessagesPerSecond: 1_000_000,
        maxPayloadBytes: 64 * 1024,
        maxSubscriptionsPerClient: 30,
        maxParentTopics: 25,
        maxGroups: 100,
        sessionExpirySeconds: 3 * 24 * 3600,
      });
      await ds.getRepository(TopicEntity).insert({ instanceId, topic: BENCH_PARENT_TOPIC, remark: '' });
      await ds.getRepository(GroupEntity).insert({ instanceId, groupId });
      await ds.getRepository(AccessKeyEntity).insert({
        id: accessKeyId,
        secretSealed: box.seal(accessKeySecret),
        status: 'Active',
        isRoot: true,
        policy: null,
        remark: 'bench root',
      });
    } finally {
      await ds.destroy();
    }
    return {
      databaseUrl,
      dataDir,
      masterKeyBase64: masterKey.toString('base64'),
      auth: { mode: 'signature', accessKeyId, accessKeySecret, instanceId, groupId },
      drop,
    };
  } catch (e) {
    await drop().catch(() => undefined);
    throw e;
  }
}
