import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import pg from 'pg';
import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import { testDatabaseUrl } from '../../../libs/testing/src/database.js';
import { BENCH_PARENT_TOPIC, createAviaryFixture, type AviaryFixture } from '../../../bench/aviary-fixture.js';
import { BrokerProcess, compileSources, type BrokerEnv, type CompiledTree } from './broker-process.js';
import { sleep, waitFor } from './broker-fixture.js';

/**
 * Durable sessions across a real crash: the broker is `apps/broker/src/main.ts` in its own process (see
 * broker-process.ts), stopped with SIGKILL — no shutdown code, no flush — and started again on the same
 * database. What the broker acknowledged (PUBACK to the publisher) must reach the durable subscriber.
 */
describe('broker process killed with SIGKILL and started again', () => {
  let fx: AviaryFixture;
  let env: BrokerEnv;
  let db: pg.Pool;
  let dataDir: string;
  let tree: CompiledTree;
  const procs: BrokerProcess[] = [];
  const clients: MqttClient[] = [];

  const topic = `${BENCH_PARENT_TOPIC}/restart/q1`;
  const subId = 'GID_bench@@@durable-sub';

  beforeAll(async () => {
    tree = await compileSources();
    fx = await createAviaryFixture(await testDatabaseUrl());
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-restart-'));
    env = { DATABASE_URL: fx.databaseUrl, AVIARY_MASTER_KEY: fx.masterKeyBase64, AVIARY_DATA_DIR: dataDir };
    db = new pg.Pool({ connectionString: fx.databaseUrl, max: 1 });
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const p of procs) await p.stop();
    await db.end();
    await rm(dataDir, { recursive: true, force: true });
    await fx.drop();
    await tree.remove();
  });

  async function startBroker(nodeId: string): Promise<BrokerProcess> {
    const p = await BrokerProcess.start(tree, { ...env, AVIARY_NODE_ID: nodeId });
    procs.push(p);
    return p;
  }

  function options(clientId: string, extra: IClientOptions = {}): IClientOptions {
    if (fx.auth.mode !== 'signature') throw new Error('the fixture authenticates with Signature');
    return {
      clientId,
      username: `Signature|${fx.auth.accessKeyId}|${fx.auth.instanceId}`,
      password: hmacSha1Base64(fx.auth.accessKeySecret, clientId),
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...extra,
    };
  }

  async function device(port: number, clientId: string, extra: IClientOptions = {}): Promise<MqttClient> {
    const c = await connectAsync(`mqtt://127.0.0.1:${port}`, options(clientId, extra));
    clients.push(c);
    return c;
  }

  /** The durable subscriber, its inbox attached before CONNACK (queued messages may come in the same read). */
  function durableSubscriber(port: number): Promise<{ client: MqttClient; got: number[]; sessionPresent: boolean }> {
    const client = connect(`mqtt://127.0.0.1:${port}`, options(subId, { clean: false }));
    clients.push(client);
    const got: number[] = [];
    client.on('message', (_t, payload) => got.push(Number(payload.toString())));
    return new Promise((resolve, reject) => {
      client.once('connect', (connack) => resolve({ client, got, sessionPresent: connack.sessionPresent }));
      client.once('error', reject);
    });
  }

  async function queuedFor(clientIdSuffix: string): Promise<number> {
    const r = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM mqtt_outgoing WHERE client_id LIKE $1', [`%${clientIdSuffix}`]);
    return Number(r.rows[0].n);
  }

  it('should deliver every acknowledged QoS 1 message after a kill -9 in the middle of publishing, once', async () => {
    const a = await startBroker('restart-a');
    const first = await durableSubscriber(a.port);
    expect(first.sessionPresent).toBe(false);
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.client.endAsync();

    // Publish with many PUBLISHes in flight; kill the broker once 300 are acknowledged, while more are
    // still on the wire. Acknowledged means stored: those must all survive.
    const pub = await device(a.port, 'GID_bench@@@publisher');
    pub.on('error', () => undefined);
    const acked: number[] = [];
    let sent = 0;
    const publishing = (async () => {
      while (a.alive() && sent < 5000) {
        const n = sent++;
        pub.publish(topic, String(n), { qos: 1 }, (err) => {
          if (!err) acked.push(n);
        });
        if (sent - acked.length >= 50) await sleep(1);
      }
    })();
    await waitFor(() => acked.length >= 300, 20_000);
    a.kill9();
    expect(await a.exited).toBe('killed by SIGKILL');
    await publishing;
    pub.end(true);
    expect(sent).toBeGreaterThan(acked.length); // some were in flight at the kill

    const b = await startBroker('restart-b');
    const second = await durableSubscriber(b.port);
    expect(second.sessionPresent).toBe(true);
    await waitFor(() => acked.every((n) => second.got.includes(n)), 20_000);
    await sleep(300); // anything stored but not acknowledged to the publisher arrives too; nothing twice
    expect(second.got.length).toBeGreaterThanOrEqual(acked.length);
    expect(new Set(second.got).size).toBe(second.got.length);
    expect(second.got).toEqual([...second.got].sort((x, y) => x - y)); // in publish order
    expect(second.got.every((n) => n < sent)).toBe(true);

    // The subscription itself survived the crash: a live message reaches the reconnected session.
    const pub2 = await device(b.port, 'GID_bench@@@publisher');
    await pub2.publishAsync(topic, '1000000', { qos: 1 });
    await waitFor(() => second.got.includes(1_000_000), 5000);
    pub2.end(true);

    // Every delivered message was acknowledged by the subscriber; once that is stored, a second crash
    // must not bring any of them back.
    const deadline = Date.now() + 10_000;
    while ((await queuedFor('durable-sub')) > 0 && Date.now() < deadline) await sleep(50);
    expect(await queuedFor('durable-sub')).toBe(0);
    second.client.end(true);
    await sleep(100);
    b.kill9();
    await b.exited;

    const c = await startBroker('restart-c');
    const third = await durableSubscriber(c.port);
    expect(third.sessionPresent).toBe(true);
    await sleep(1000);
    expect(third.got).toEqual([]);
    await third.client.endAsync();
  }, 120_000);

  it('should keep an offline queue across two crashes before the subscriber comes back', async () => {
    const id = 'GID_bench@@@twice';
    const p1 = await startBroker('twice-1');
    const s = await device(p1.port, id, { clean: false });
    await s.subscribeAsync(`${BENCH_PARENT_TOPIC}/twice`, { qos: 1 });
    await s.endAsync();
    const pub = await device(p1.port, 'GID_bench@@@twice-pub');
    for (let i = 0; i < 20; i++) await pub.publishAsync(`${BENCH_PARENT_TOPIC}/twice`, `m${i}`, { qos: 1 });
    pub.end(true);
    p1.kill9();
    await p1.exited;

    // A broker that starts, takes no client, and dies again must not lose or reorder the queue.
    const p2 = await startBroker('twice-2');
    p2.kill9();
    await p2.exited;

    const p3 = await startBroker('twice-3');
    const client = connect(`mqtt://127.0.0.1:${p3.port}`, options(id, { clean: false }));
    clients.push(client);
    const got: string[] = [];
    client.on('message', (_t, payload) => got.push(payload.toString()));
    await waitFor(() => got.length === 20, 10_000);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    client.end(true);
  }, 120_000);
});
