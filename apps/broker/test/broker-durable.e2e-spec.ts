import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { hmacSha1Base64 } from '../../../libs/common/src/crypto.js';
import { createPersistence } from '../src/persistence/index.js';
import { BrokerFixture, connectCollecting, inbox, sleep, waitFor, type Collected } from './broker-fixture.js';

describe('broker with PostgreSQL persistence: isolation of durable sessions across a restart', () => {
  let f: BrokerFixture;

  beforeAll(async () => {
    f = await BrokerFixture.start((url) => ({ persistence: createPersistence({ databaseUrl: url }) }));
  });

  afterAll(async () => {
    await f.stop();
  });

  it('should keep offline QoS 1 and P2P messages per instance across a broker restart', async () => {
    const a = await f.tenant(['T1']);
    const b = await f.tenant(['T1']);
    const cid = 'GID_dev@@@durable';
    for (const t of [a, b]) {
      const c = await f.connect(t, cid, { clean: false });
      await c.subscribeAsync('T1/#', { qos: 1 });
      c.end(true);
    }
    await waitFor(() => f.running.online(a.instanceId).length === 0 && f.running.online(b.instanceId).length === 0);
    const pubA = await f.connect(a, 'GID_dev@@@pub');
    const pubB = await f.connect(b, 'GID_dev@@@pub');
    await pubA.publishAsync('T1/x', 'offline-a', { qos: 1 });
    await pubA.publishAsync(`T1/p2p/${cid}`, 'p2p-a', { qos: 1 });
    await pubB.publishAsync('T1/x', 'offline-b', { qos: 1 });
    pubA.end(true);
    pubB.end(true);
    await sleep(100);

    await f.restart();

    const ca = await connectCollecting(f, a, cid, { clean: false });
    const cb = await connectCollecting(f, b, cid, { clean: false });
    const texts = (got: Collected['got']) => got.map((m) => `${m.topic}=${m.payload}`).sort();
    await waitFor(() => ca.got.length === 2 && cb.got.length === 1, 5000);
    await sleep(150);
    expect(texts(ca.got)).toEqual([`T1/p2p/${cid}=p2p-a`, 'T1/x=offline-a']);
    expect(texts(cb.got)).toEqual(['T1/x=offline-b']);
    ca.client.end(true);
    cb.client.end(true);
  });
});

describe('broker over TLS and secure WebSocket', () => {
  let f: BrokerFixture;
  let cert: Buffer;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviary-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    const key = readFileSync(join(dir, 'key.pem'));
    f = await BrokerFixture.start({ ports: { mqtt: 0, mqtts: 0, wss: 0 }, tls: { cert, key } });
  });

  afterAll(async () => {
    await f.stop();
  });

  it('should authenticate and route over mqtts:// and wss://', async () => {
    const t = await f.tenant(['T1']);
    const opts = (cid: string) => ({
      clientId: cid,
      username: `Signature|${t.key.id}|${t.instanceId}`,
      password: hmacSha1Base64(t.key.secret, cid),
      protocolVersion: 4 as const,
      reconnectPeriod: 0,
      ca: cert,
      servername: 'localhost',
    });
    const tls = await connectAsync(`mqtts://localhost:${f.running.ports.mqtts}`, opts('GID_dev@@@tls'));
    const wss = await connectAsync(`wss://localhost:${f.running.ports.wss}/mqtt`, opts('GID_dev@@@wss'));
    const got = inbox(wss);
    await wss.subscribeAsync('T1/secure', { qos: 1 });
    await tls.publishAsync('T1/secure', 'encrypted', { qos: 1 });
    await waitFor(() => got.length === 1);
    expect(got[0]).toMatchObject({ topic: 'T1/secure', payload: 'encrypted' });
    tls.end(true);
    wss.end(true);
  });
});
