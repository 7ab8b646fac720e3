import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import { testDatabaseUrl } from '../../../libs/testing/src/database.js';
import { BENCH_PARENT_TOPIC, createAviaryFixture, type AviaryFixture } from '../../../bench/aviary-fixture.js';
import { BrokerProcess, compileSources, GeneratorProcess, type CompiledTree } from './broker-process.js';
import { sleep, waitFor } from './broker-fixture.js';

/** Issue 4's overload test, at full length (the only long test of the suite: ~40 s). */
const FLOOD_MS = 30_000;
const PUBLISHERS = 50;
/** QoS 1 messages interleaved with the flood: one every 20 ms. */
const QOS1_EVERY_MS = 20;
/**
 * The broker's RSS must stay under this for the whole flood. Measured on the 2-core dev machine (see
 * docs/benchmarks.md): ≈ 150 MB before the flood, peaks of 520–600 MB in its first seconds, then a
 * plateau of 420–490 MB. Most of it is garbage V8 has not collected yet at ~300k messages/s (with the old
 * space capped at 200 MB the same flood stays flat), so the peak moves with GC timing; the bound leaves
 * ~30 % over the worst peak seen. An unbounded queue (buffering the publishers' ~20 MB/s for the dead
 * subscriber) crosses it well within the 30 s.
 */
const MAX_RSS_BYTES = 768 * 2 ** 20;

/**
 * The broker (apps/broker/src/main.ts) runs in its own process so its RSS is its own. 50 QoS 0 publishers
 * (a bench generator process) flood one topic; its only subscriber (another process) is SIGKILLed half-way,
 * with messages queued for it; QoS 1 messages to a clean and a durable subscriber are published all along.
 * The broker must stay up, keep its memory bounded, deliver every QoS 1 message in order, and answer a new
 * CONNECT afterwards.
 */
describe('broker process under a 30-second publisher flood', () => {
  let fx: AviaryFixture;
  let dataDir: string;
  let broker: BrokerProcess;
  let tree: CompiledTree;
  const clients: MqttClient[] = [];
  const gens: GeneratorProcess[] = [];

  beforeAll(async () => {
    tree = await compileSources();
    fx = await createAviaryFixture(await testDatabaseUrl());
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-flood-'));
    broker = await BrokerProcess.start(tree, {
      DATABASE_URL: fx.databaseUrl,
      AVIARY_MASTER_KEY: fx.masterKeyBase64,
      AVIARY_DATA_DIR: dataDir,
      AVIARY_NODE_ID: 'flood',
    });
  });

  afterAll(async () => {
    for (const g of gens) g.kill();
    for (const c of clients) c.end(true);
    await broker?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await fx.drop();
    await tree.remove();
  });

  function device(clientId: string, extra: IClientOptions = {}): Promise<{ client: MqttClient; got: number[] }> {
    if (fx.auth.mode !== 'signature') throw new Error('the fixture authenticates with Signature');
    const client = connect(`mqtt://127.0.0.1:${broker.port}`, {
      clientId,
      username: `Signature|${fx.auth.accessKeyId}|${fx.auth.instanceId}`,
      password: hmacSha1Base64(fx.auth.accessKeySecret, clientId),
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      // Under the flood a PINGRESP may be late; the test is not about keepalive.
      keepalive: 300,
      ...extra,
    });
    clients.push(client);
    const got: number[] = [];
    client.on('message', (_t, payload) => got.push(Number(payload.toString())));
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve({ client, got }));
      client.once('error', reject);
    });
  }

  it('should stay alive with bounded memory, deliver every QoS 1 message, and answer a CONNECT afterwards', async () => {
    const port = broker.port;
    const flood = `${BENCH_PARENT_TOPIC}/flood`;
    const q1 = `${BENCH_PARENT_TOPIC}/q1`;
    const cleanSub = await device('GID_bench@@@q1-clean');
    await cleanSub.client.subscribeAsync(q1, { qos: 1 });
    const durableSub = await device('GID_bench@@@q1-durable', { clean: false });
    await durableSub.client.subscribeAsync(q1, { qos: 1 });
    const q1pub = await device('GID_bench@@@q1-pub');

    const floodSub = await GeneratorProcess.start(tree, { role: 'subscribe', conns: 1, filter: flood, qos: 0, port, auth: fx.auth, idPrefix: 'fs' }, FLOOD_MS + 60_000);
    gens.push(floodSub);
    const publishers = await GeneratorProcess.start(
      tree,
      { role: 'publish', conns: PUBLISHERS, topic: flood, qos: 0, payloadBytes: 64, port, auth: fx.auth, idPrefix: 'fp' },
      FLOOD_MS + 60_000,
    );
    gens.push(publishers);

    let peakRss = 0;
    const series: number[] = [];
    let ticks = 0;
    const sampler = setInterval(() => {
      const rss = broker.rss() ?? 0;
      peakRss = Math.max(peakRss, rss);
      if (ticks++ % 10 === 0) series.push(Math.round(rss / 2 ** 20));
    }, 200);
    let published = 0;
    let acked = 0;
    let stopQos1 = false;
    const qos1 = (async () => {
      while (!stopQos1 && broker.alive()) {
        const n = published++;
        q1pub.client.publish(q1, String(n), { qos: 1 }, (err) => {
          if (!err) acked++;
        });
        await sleep(QOS1_EVERY_MS);
      }
    })();

    try {
      const t0 = Date.now();
      publishers.go();
      await sleep(FLOOD_MS / 2);
      const beforeKill = await floodSub.snap();
      floodSub.kill();
      await sleep(FLOOD_MS / 2);
      const sent = await publishers.stop();
      stopQos1 = true;
      await qos1;
      const floodSeconds = (Date.now() - t0) / 1000;
      expect(broker.alive()).toBe(true);

      // Every QoS 1 message, in order, to both subscribers (the broker may still be working off the
      // input the publishers' sockets had buffered).
      publishers.kill();
      await waitFor(() => acked === published, 60_000, 50);
      await waitFor(() => cleanSub.got.length >= published && durableSub.got.length >= published, 60_000, 50);
      const all = Array.from({ length: published }, (_, i) => i);
      expect(cleanSub.got).toEqual(all);
      expect(durableSub.got).toEqual(all);

      // Alive means answering: a new device connects and gets a message through.
      const p0 = Date.now();
      const probe = await device('GID_bench@@@probe');
      const probeMs = Date.now() - p0;
      await probe.client.subscribeAsync(`${BENCH_PARENT_TOPIC}/probe`, { qos: 1 });
      await q1pub.client.publishAsync(`${BENCH_PARENT_TOPIC}/probe`, '42', { qos: 1 });
      await waitFor(() => probe.got.length === 1, 10_000);

      if (process.env.AVIARY_BENCH_LOG) console.log(`RSS every 2 s (MB): ${series.join(' ')}`);
      expect(broker.alive()).toBe(true);
      expect(peakRss).toBeGreaterThan(0);
      expect(peakRss).toBeLessThan(MAX_RSS_BYTES);
      expect(sent?.sent ?? 0).toBeGreaterThan(100_000);
      expect(beforeKill?.received ?? 0).toBeGreaterThan(10_000);
      if (process.env.AVIARY_BENCH_LOG) {
        console.log(
          `flood ${floodSeconds.toFixed(1)} s: ${sent?.sent} QoS 0 sent by ${PUBLISHERS} publishers, ` +
            `${beforeKill?.received} received by the subscriber before its kill (${Math.round((beforeKill?.received ?? 0) / (FLOOD_MS / 2000))}/s); ` +
            `${published} QoS 1 all delivered; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB; probe CONNACK after ${probeMs} ms`,
        );
      }
    } finally {
      clearInterval(sampler);
      stopQos1 = true;
    }
  }, 180_000);
});
