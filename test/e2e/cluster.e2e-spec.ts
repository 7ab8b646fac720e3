/**
 * Scale-out as docker-compose runs it, on loopback: one API and two broker workers sharing PostgreSQL and
 * Redis (aedes' Redis persistence and emitter). Devices on different workers talk to each other,
 * SendMessage reaches both, a QoS 1 subscriber with a persistent session gets what was published while it
 * was away after reconnecting to the *other* worker, and a session is visible whichever worker holds it.
 */
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import { startBrokerApp } from '../../apps/broker/src/start.js';
import { privateDatabase, type PrivateDatabase } from '../../libs/testing/src/private-database.js';
import { hmacSha1Base64 } from '../../libs/common/src/crypto.js';
import { uniqueName } from '../../libs/testing/src/api-app.js';
import { startSystem, type TestSystem } from '../../libs/testing/src/system.js';

const REDIS_URL = 'redis://127.0.0.1:6379/12';

function nextMessage(c: MqttClient, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no message')), ms);
    c.once('message', (topic, payload) => {
      clearTimeout(t);
      resolve(`${topic}:${payload.toString()}`);
    });
  });
}

describe('two broker workers through Redis', () => {
  let sys: TestSystem;
  let second: Awaited<ReturnType<typeof startBrokerApp>>;
  let redis: Redis;
  let db: PrivateDatabase;
  let InstanceId: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    await redis.flushdb();
    // A database of its own: clustered workers claim SendMessage commands, which must not race with the
    // unclustered brokers of other test files sharing the run's database.
    db = await privateDatabase('cluster');
    sys = await startSystem({ databaseUrl: db.url, redisUrl: REDIS_URL, nodeId: 'worker-a' });
    second = await startBrokerApp({ ...sys.api.config, redisUrl: REDIS_URL, nodeId: 'worker-b', mqtt: { ...sys.api.config.mqtt, port: 0, wsPort: 0 }, logLevel: 'error' });
    InstanceId = await sys.provision(uniqueName('cl'), ['sensors'], ['GID_clu']);
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await second.close();
    await sys.close();
    await db.drop();
    await redis.flushdb();
    redis.disconnect();
  });

  async function device(port: number, clientId: string, clean = true): Promise<MqttClient> {
    const c = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId,
      clean,
      username: `Signature|${sys.api.rootAccessKeyId}|${InstanceId}`,
      password: hmacSha1Base64(sys.api.rootAccessKeySecret, clientId),
      reconnectPeriod: 0,
    });
    clients.push(c);
    return c;
  }

  it('should carry messages between devices on different workers, and SendMessage to both', async () => {
    const portA = sys.mqttPort;
    const portB = second.broker.running.ports.mqtt!;
    const onA = await device(portA, 'GID_clu@@@a');
    const onB = await device(portB, 'GID_clu@@@b');
    await onB.subscribeAsync('sensors/#', { qos: 1 });
    await onA.subscribeAsync('sensors/#', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200)); // subscriptions propagate through Redis
    const atB = nextMessage(onB);
    await onA.publishAsync('sensors/x', 'from-a', { qos: 1 });
    expect(await atB).toBe('sensors/x:from-a');

    const both = Promise.all([nextMessage(onA), nextMessage(onB)]);
    await sys.call('SendMessage', { InstanceId, MqttTopic: 'sensors/cmd', Payload: 'all' });
    expect(await both).toEqual(['sensors/cmd:all', 'sensors/cmd:all']);
    onA.end(true);
    onB.end(true);
  });

  it('should keep a persistent session across workers', async () => {
    const portA = sys.mqttPort;
    const portB = second.broker.running.ports.mqtt!;
    const sub = await device(portA, 'GID_clu@@@durable', false);
    await sub.subscribeAsync('sensors/durable', { qos: 1 });
    await sub.endAsync();
    const pub = await device(portB, 'GID_clu@@@pub');
    await pub.publishAsync('sensors/durable', 'while-away', { qos: 1 });
    const back = await connectAsync(`mqtt://127.0.0.1:${portB}`, {
      clientId: 'GID_clu@@@durable',
      clean: false,
      username: `Signature|${sys.api.rootAccessKeyId}|${InstanceId}`,
      password: hmacSha1Base64(sys.api.rootAccessKeySecret, 'GID_clu@@@durable'),
      reconnectPeriod: 0,
      manualConnect: false,
    });
    clients.push(back);
    expect(await nextMessage(back)).toBe('sensors/durable:while-away');
  });

  it('should report a device online whichever worker holds it', async () => {
    const onB = await device(second.broker.running.ports.mqtt!, 'GID_clu@@@seen');
    let online = false;
    for (let i = 0; i < 20 && !online; i++) {
      online = (await sys.call('QuerySessionByClientId', { InstanceId, ClientId: 'GID_clu@@@seen' })).OnlineStatus === true;
      if (!online) await new Promise((r) => setTimeout(r, 50));
    }
    expect(online).toBe(true);
    onB.end(true);
  });
});
