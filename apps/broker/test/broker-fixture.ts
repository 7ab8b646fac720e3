import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { connect as mqttConnect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { DataSource } from 'typeorm';
import type { PolicyDocument } from '../../../libs/acl/src/policy.js';
import { hmacSha1Base64, randomLowerAlnum, randomString, SecretBox } from '../../../libs/common/src/crypto.js';
import { AccessKeyEntity } from '../../../libs/core/src/access-keys/access-key.entity.js';
import { createDataSource } from '../../../libs/core/src/data-source.js';
import { DeviceCredentialEntity } from '../../../libs/core/src/device-credentials/device-credential.entity.js';
import { GroupEntity } from '../../../libs/core/src/groups/group.entity.js';
import { InstanceEntity, type InstanceLimits } from '../../../libs/core/src/instances/instance.entity.js';
import { TopicEntity } from '../../../libs/core/src/topics/topic.entity.js';
import { testDatabaseUrl } from '../../../libs/testing/src/database.js';
import { TEST_MASTER_KEY } from '../../../libs/testing/src/api-app.js';
import { decodeKey, loadConfig } from '../../../libs/config/src/config.js';
import type { CoreKind } from '../src/core/types.js';
import { startBroker, type BrokerOptions, type RunningBroker } from '../src/broker.js';
import { silentLogger } from '../src/log.js';

/** The broker core tests run on: `BROKER_CORE` (jest.config.js runs the broker suites once per core), default lean. */
export function testCore(): CoreKind {
  return loadConfig().mqtt.core;
}

/**
 * Secrets are sealed with the test master key, the one every API and broker app of the run uses, so a
 * broker started by startSystem() can read the rows these fixtures leave in the shared database.
 *
 * A real broker on ephemeral ports over this test run's database, with helpers that create the control
 * plane's rows directly through the entities (secrets sealed with the broker's SecretBox).
 */
export class BrokerFixture {
  private constructor(
    readonly ds: DataSource,
    readonly box: SecretBox,
    readonly url: string,
    public running: RunningBroker,
  ) {}

  static async start(extra: Partial<BrokerOptions> | ((url: string) => Partial<BrokerOptions>) = {}): Promise<BrokerFixture> {
    const url = await testDatabaseUrl();
    const ds = createDataSource(url, 4);
    await ds.initialize();
    const f = new BrokerFixture(ds, new SecretBox(decodeKey(TEST_MASTER_KEY)!), url, undefined as unknown as RunningBroker);
    f.extra = extra;
    await f.restart();
    return f;
  }

  private extra: Partial<BrokerOptions> | ((url: string) => Partial<BrokerOptions>) = {};

  /** Closes the running broker (if any) and starts a new one on the same database. */
  async restart(): Promise<void> {
    await this.running?.close();
    const extra = typeof this.extra === 'function' ? this.extra(this.url) : this.extra;
    this.running = await startBroker({
      dataSource: this.ds,
      databaseUrl: this.url,
      secretBox: this.box,
      ports: { mqtt: 0, ws: 0 },
      core: testCore(),
      log: silentLogger,
      ...extra,
    });
  }

  get port(): number {
    return this.running.ports.mqtt!;
  }

  async stop(): Promise<void> {
    await this.running.close();
    await this.ds.destroy();
  }

  async instance(limits: Partial<InstanceLimits> = {}): Promise<string> {
    const id = `mqtt-${randomLowerAlnum(12)}`;
    const name = `inst-${randomLowerAlnum(8)}`;
    await this.ds.getRepository(InstanceEntity).insert({ id, name, nameKey: name, ...limits });
    return id;
  }

  async topic(instanceId: string, topic: string): Promise<string> {
    const r = await this.ds.getRepository(TopicEntity).insert({ instanceId, topic });
    return r.identifiers[0]!.id as string;
  }

  async group(instanceId: string, groupId: string): Promise<string> {
    const r = await this.ds.getRepository(GroupEntity).insert({ instanceId, groupId });
    return r.identifiers[0]!.id as string;
  }

  async accessKey(opts: { isRoot?: boolean; policy?: PolicyDocument | null; status?: 'Active' | 'Inactive' } = {}): Promise<{ id: string; secret: string }> {
    const id = `AK${randomString(14)}`;
    const secret = randomString(30);
    await this.ds.getRepository(AccessKeyEntity).insert({
      id,
      secretSealed: this.box.seal(secret),
      isRoot: opts.isRoot ?? false,
      policy: opts.policy ?? null,
      status: opts.status ?? 'Active',
    });
    return { id, secret };
  }

  async deviceCredential(instanceId: string, clientId: string): Promise<{ id: string; secret: string; rowId: string }> {
    const id = `DC${randomString(14)}`;
    const secret = randomString(30);
    const r = await this.ds.getRepository(DeviceCredentialEntity).insert({ instanceId, clientId, deviceAccessKeyId: id, secretSealed: this.box.seal(secret) });
    return { id, secret, rowId: r.identifiers[0]!.id as string };
  }

  /** An instance with parent topics, a group and a root key: the usual stage of a test. */
  async tenant(topics: string[] = ['T1'], group = 'GID_dev'): Promise<Tenant> {
    const instanceId = await this.instance();
    for (const t of topics) await this.topic(instanceId, t);
    await this.group(instanceId, group);
    const key = await this.accessKey({ isRoot: true });
    await this.synced();
    return { instanceId, group, key };
  }

  /** Waits until the broker has applied every change notified so far. */
  async synced(): Promise<void> {
    // NOTIFY is delivered after commit; give it a moment to arrive, then wait for the apply queue.
    await sleep(50);
    await this.running.index.settled();
  }

  connect(t: { instanceId: string; key: { id: string; secret: string } }, clientId: string, extra: IClientOptions = {}): Promise<MqttClient> {
    return connectAsync(`mqtt://127.0.0.1:${this.port}`, {
      clientId,
      username: `Signature|${t.key.id}|${t.instanceId}`,
      password: hmacSha1Base64(t.key.secret, clientId),
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...extra,
    });
  }
}

export interface Collected {
  client: MqttClient;
  got: { topic: string; payload: string; retain: boolean }[];
}

/**
 * Connects with the inbox attached before CONNACK: offline messages may arrive in the same read as the
 * CONNACK, before an awaited connect would let the caller attach a listener.
 */
export function connectCollecting(f: BrokerFixture, t: { instanceId: string; key: { id: string; secret: string } }, clientId: string, extra: IClientOptions = {}): Promise<Collected> {
  const client = mqttConnect(`mqtt://127.0.0.1:${f.port}`, {
    clientId,
    username: `Signature|${t.key.id}|${t.instanceId}`,
    password: hmacSha1Base64(t.key.secret, clientId),
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...extra,
  });
  const got = inbox(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve({ client, got }));
    client.once('error', reject);
  });
}

export interface Tenant {
  instanceId: string;
  group: string;
  key: { id: string; secret: string };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(cond: () => boolean, timeoutMs = 2000, stepMs = 10): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
  return Date.now() - start;
}

/** Collects the messages a client receives. */
export function inbox(client: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected || !client.connected) return resolve();
    client.stream.once('close', () => resolve());
  });
}

/**
 * Sends raw bytes (or a CONNECT packet) on a fresh TCP connection and reports the first packet the
 * broker answers with, or 'closed' when it closes the connection without answering.
 */
export type RawPacket = { cmd: string; returnCode?: number; granted?: number[] };

export function rawExchange(port: number, bytes: Buffer[], timeoutMs = 3000, until?: (p: RawPacket[]) => boolean): Promise<RawPacket[] | 'closed'> {
  return new Promise((resolve) => {
    const sock = netConnect(port, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const packets: RawPacket[] = [];
    parser.on('packet', (p) => {
      packets.push(p as never);
      if (until?.(packets)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(packets);
      }
    });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(packets.length ? packets : 'closed');
    }, timeoutMs);
    sock.on('data', (d) => parser.parse(d));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(packets.length ? packets : 'closed');
    });
    sock.on('error', () => undefined);
    sock.on('connect', () => {
      for (const b of bytes) sock.write(b);
    });
  });
}

export function connectPacket(o: { clientId: string; username?: string; password?: string; protocolVersion?: 3 | 4; protocolId?: string }): Buffer {
  return mqttPacket.generate({
    cmd: 'connect',
    protocolId: o.protocolId ?? (o.protocolVersion === 3 ? 'MQIsdp' : 'MQTT'),
    protocolVersion: o.protocolVersion ?? 4,
    clean: true,
    keepalive: 30,
    clientId: o.clientId,
    username: o.username,
    password: o.password !== undefined ? Buffer.from(o.password) : undefined,
  } as mqttPacket.IConnectPacket);
}

export async function connackCode(port: number, o: Parameters<typeof connectPacket>[0]): Promise<number | 'closed'> {
  const r = await rawExchange(port, [connectPacket(o)], 2000, (p) => p.some((x) => x.cmd === 'connack'));
  if (r === 'closed') return 'closed';
  const connack = r.find((p) => p.cmd === 'connack');
  return connack?.returnCode ?? 'closed';
}

/** SUBSCRIBE and the granted codes of the SUBACK, in request order (mqtt.js rejects on any 0x80). */
export function subscribeGranted(client: MqttClient, subs: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  return new Promise((resolve) => {
    const onPacket = (p: { cmd: string; granted?: number[] }): void => {
      if (p.cmd !== 'suback') return;
      client.off('packetreceive', onPacket as never);
      resolve(p.granted!.map((g) => (typeof g === 'number' ? g : (g as { qos: number }).qos)));
    };
    client.on('packetreceive', onPacket as never);
    client.subscribe(subs, () => undefined);
  });
}
