import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { PgPersistence } from './pg-persistence.js';
import { createEmitter } from './persistence.factory.js';
import { type PrivateDatabase, privateDatabase } from '../../../../libs/testing/src/private-database.js';

/**
 * aedes on PgPersistence over real sockets: a broker stops without any shutdown (see `crash`), a fresh
 * broker with a fresh persistence starts on the same database, and the
 * durable session, its offline QoS 1 messages, the retained message and the will are all there.
 */

interface RunningBroker {
  broker: Aedes;
  server: Server;
  sockets: Set<Socket>;
  persistence: PgPersistence;
  port: number;
}

let db: PrivateDatabase;
let url: string;
const running: RunningBroker[] = [];

beforeAll(async () => {
  db = await privateDatabase('persistence_e2e');
  url = db.url;
});

afterAll(async () => {
  for (const r of running) {
    for (const s of r.sockets) s.destroy();
    if (r.server.listening) await new Promise((resolve) => r.server.close(resolve));
    await new Promise<void>((resolve) => r.broker.close(() => resolve()));
    await r.persistence.destroy().catch(() => undefined);
  }
  await db.drop();
});

async function startBroker(heartbeatInterval = 60_000): Promise<RunningBroker> {
  const persistence = new PgPersistence({ connectionString: url, sweepIntervalMs: 0 });
  const broker = await Aedes.createBroker({ persistence, mq: createEmitter({}), heartbeatInterval });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r = { broker, server, sockets, persistence, port: (server.address() as AddressInfo).port };
  running.push(r);
  return r;
}

/**
 * A crash as the database sees it: from this instant the old broker writes nothing more (a live aedes
 * would otherwise tidy up as its sockets close, e.g. publish and delete the wills), then its listener and
 * connections vanish. The real `kill -9` of a broker process belongs to the broker app's e2e tests.
 */
async function crash(r: RunningBroker): Promise<void> {
  await r.persistence.destroy();
  r.server.close();
  for (const s of r.sockets) s.destroy();
}

function connect(port: number, opts: mqtt.IClientOptions): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
}

it('keeps durable sessions, offline QoS 1 messages, retained messages and wills across a broker crash', async () => {
  const first = await startBroker();

  const device = await connect(first.port, { clientId: 'dev-sub', clean: false });
  await device.subscribeAsync('fleet/+/cmd', { qos: 1 });
  await device.endAsync();

  const victim = await connect(first.port, {
    clientId: 'dev-will',
    clean: true,
    will: { topic: 'fleet/dev-will/status', payload: Buffer.from('offline'), qos: 1, retain: false },
  });

  const publisher = await connect(first.port, { clientId: 'dev-pub', clean: true });
  for (const n of [1, 2, 3]) await publisher.publishAsync('fleet/a/cmd', `cmd-${n}`, { qos: 1 });
  await publisher.publishAsync('fleet/a/state', 'retained-state', { qos: 1, retain: true });
  await publisher.endAsync();

  await crash(first);
  victim.end(true);

  // Wills of brokers that stopped heartbeating are published by the survivor (every 4 heartbeats).
  const second = await startBroker(100);
  const watcher = await connect(second.port, { clientId: 'watcher', clean: true });
  const wills: string[] = [];
  const willArrived = new Promise<void>((resolve) => {
    watcher.on('message', (topic, payload) => {
      if (topic === 'fleet/dev-will/status') {
        wills.push(payload.toString());
        resolve();
      }
    });
  });
  await watcher.subscribeAsync('fleet/+/status', { qos: 1 });

  // Listen before CONNACK: the queued messages follow it immediately.
  const received: string[] = [];
  const back = mqtt.connect(`mqtt://127.0.0.1:${second.port}`, { clientId: 'dev-sub', clean: false, reconnectPeriod: 0 });
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  await new Promise((resolve, reject) => back.once('connect', resolve).once('error', reject));
  await waitFor(() => received.length >= 3, 5000);
  expect(received).toEqual(['cmd-1', 'cmd-2', 'cmd-3']);

  // The subscription itself survived: a new publish reaches the session without re-subscribing.
  const publisher2 = await connect(second.port, { clientId: 'dev-pub2', clean: true });
  await publisher2.publishAsync('fleet/b/cmd', 'cmd-4', { qos: 1 });
  await waitFor(() => received.length >= 4, 5000);
  expect(received[3]).toBe('cmd-4');

  // A fresh client: in our runs mqtt.js did not emit 'message' for a retained QoS 1 delivery to the
  // client that had just published with QoS 1 (client side; the same with aedes' memory persistence).
  const reader = mqtt.connect(`mqtt://127.0.0.1:${second.port}`, { clientId: 'reader', clean: true, reconnectPeriod: 0 });
  const retained = new Promise<string>((resolve) => {
    reader.on('message', (topic, payload) => topic === 'fleet/a/state' && resolve(payload.toString()));
  });
  await new Promise((resolve, reject) => reader.once('connect', resolve).once('error', reject));
  await reader.subscribeAsync('fleet/a/state', { qos: 1 });
  expect(await retained).toBe('retained-state');

  await willArrived;
  expect(wills).toEqual(['offline']);

  // Acknowledged messages are gone from the queue: reconnecting again delivers nothing old.
  await back.endAsync();
  const again: string[] = [];
  const third = mqtt.connect(`mqtt://127.0.0.1:${second.port}`, { clientId: 'dev-sub', clean: false, reconnectPeriod: 0 });
  third.on('message', (_t, payload) => again.push(payload.toString()));
  await new Promise((resolve, reject) => third.once('connect', resolve).once('error', reject));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(again).toEqual([]);
  await Promise.all([third.endAsync(), watcher.endAsync(), publisher2.endAsync(), reader.endAsync()]);
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
