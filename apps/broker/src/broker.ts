import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { DataSource } from 'typeorm';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { systemClock, type Clock } from '../../../libs/common/src/clock.js';
import type { SecretBox } from '../../../libs/common/src/crypto.js';
import { createCore, type BrokerCore, type CoreKind, type CorePublishPacket } from './core/index.js';
import { DeviceHooks, type SystemTopicHandler } from './aedes-hooks.js';
import { defaultAuthenticators, type Authenticator } from './auth/authenticators.js';
import { ConfigIndex, type IndexChange } from './index/config-index.js';
import { RateLimiter } from './limits/rate-limiter.js';
import { consoleLogger, type BrokerLogger } from './log.js';
import { nsClientId, nsTopic, p2pPrefix, p2pTarget } from './namespace.js';
import type { ClientContext } from './sessions/client-context.js';
import { SessionRegistry, type BrokerEvents, type OnlineSession } from './sessions/session-registry.js';
import { SessionWriter } from './sessions/session-writer.js';
import { TokenIndex } from './tokens/token-index.js';
import { TokenSessions, UPLOAD_TOKEN_TOPIC } from './tokens/token-sessions.js';
import type { EventEmitter } from 'node:events';

export interface BrokerPorts {
  /** MQTT over TCP; undefined = do not listen; 0 = any free port. Same for the others. */
  mqtt?: number;
  /** MQTT over WebSocket, path `/mqtt`. */
  ws?: number;
  /** MQTT over TLS (needs `tls`). */
  mqtts?: number;
  /** MQTT over secure WebSocket, path `/mqtt` (needs `tls`). */
  wss?: number;
}

export interface BrokerOptions {
  dataSource: DataSource;
  /** Used for the dedicated LISTEN connection (the data source's pool serves the row reloads). */
  databaseUrl: string;
  secretBox: SecretBox;
  ports: BrokerPorts;
  host?: string;
  /** PEM certificate chain and key, for `mqtts` / `wss`. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Which broker core carries the MQTT traffic (core/types.ts); default `lean`. */
  core?: CoreKind;
  /** aedes-persistence-compatible store (subscriptions, offline queues, retained, wills); default in memory. */
  persistence?: unknown;
  /** mqemitter-compatible emitter shared by broker nodes (Redis); default in process. */
  mq?: unknown;
  /** Name of this worker (aedes broker id, session rows). */
  nodeId?: string;
  /** Packets a client may pipeline before its CONNACK (aedes `queueLimit`). */
  queueLimit?: number;
  /** A subscriber whose socket has not drained within this many ms is disconnected (aedes `drainTimeout`). */
  drainTimeout?: number;
  connectTimeout?: number;
  /** Extra or replacement authenticators by username mode (built in: `Signature`, `DeviceCredential`, `Token`). */
  authenticators?: Record<string, Authenticator>;
  /** Extra or replacement client-publishable `$SYS/…` topics (built in: `$SYS/uploadToken`). */
  systemTopics?: Record<string, SystemTopicHandler>;
  /** Time source for token expiry (tests inject a ManualClock); default the system clock. */
  clock?: Clock;
  /** How often token expiries are checked against the clock (ms); default 250. */
  tokenTickMs?: number;
  /** Write the session table (`mqtt_sessions`) from the registry; default true. */
  writeSessions?: boolean;
  log?: BrokerLogger;
}

export interface RunningBroker {
  broker: BrokerCore;
  ports: BrokerPorts;
  index: ConfigIndex;
  /** Resolves once every configuration and token change notified so far has been applied (tests). */
  settled(): Promise<void>;
  /** connect / disconnect / tcpclean, ClientId conflicts, denials. */
  events: EventEmitter<BrokerEvents>;
  /** Counters (metrics): QoS 0 deliveries shed for slow subscribers. */
  stats(): Readonly<{ qos0Shed: number }>;
  /** Online sessions of this worker, from memory. */
  online(instanceId?: string): OnlineSession[];
  /** Server-side publish into an instance (rules republish, SendMessage); P2P topics reach their target. */
  publish(instanceId: string, topic: string, payload: Buffer | string, opts?: { qos?: 0 | 1 | 2; retain?: boolean }): Promise<void>;
  /** Closes this worker's connection of `clientId` in the instance (CloseConnection); false when it has none. */
  disconnect(instanceId: string, clientId: string): boolean;
  close(): Promise<void>;
}

/**
 * Starts the broker worker: the configuration index (loaded, then live through LISTEN/NOTIFY), the broker
 * core (core/: our lean core by default, aedes as the reference) with Aviary's hooks, and the listeners.
 *
 * Both cores bound ingress per connection, bound what is pipelined before CONNACK (`queueLimit`) and
 * disconnect a subscriber that stops reading (`drainTimeout`) instead of buffering for it forever.
 * QoS 0 deliveries to a subscriber whose socket is backed up are shed (counted in `stats()`), so one
 * slow QoS 0 subscriber does not hold every publisher back; QoS ≥ 1 is never shed, it waits.
 */
export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const log = opts.log ?? consoleLogger;
  const clock = opts.clock ?? systemClock;
  const index = new ConfigIndex(opts.dataSource, opts.secretBox, opts.databaseUrl, log);
  // Subscribed before the index starts: its initial load emits the RELOAD that loads the tokens.
  const tokenIndex = new TokenIndex(opts.dataSource, index, clock, log);
  tokenIndex.attach();
  await index.start();
  await tokenIndex.settled();
  if (!tokenIndex.loaded) {
    await index.close();
    throw new Error('The token index could not be loaded');
  }
  const tokens = new TokenSessions({ index, tokens: tokenIndex, clock, log, tickMs: opts.tokenTickMs });

  const registry = new SessionRegistry();
  const limiter = new RateLimiter();
  const authenticators = defaultAuthenticators(index);
  authenticators.set('Token', tokens.authenticator);
  for (const [mode, a] of Object.entries(opts.authenticators ?? {})) authenticators.set(mode, a);
  const hooks = new DeviceHooks({
    index,
    registry,
    limiter,
    authenticators,
    systemTopics: new Map(Object.entries({ [UPLOAD_TOKEN_TOPIC]: tokens.upload, ...opts.systemTopics })),
    log,
  });

  const broker = await createCore(opts.core ?? 'lean', {
    id: opts.nodeId,
    queueLimit: opts.queueLimit ?? 42,
    drainTimeout: opts.drainTimeout ?? 30_000,
    connectTimeout: opts.connectTimeout ?? 10_000,
    // ClientIds are checked by Aviary (≤ 64 characters); inside the core they carry the instance prefix.
    maxClientsIdLength: 256,
    persistence: opts.persistence,
    mq: opts.mq,
    authenticate: hooks.authenticate,
    authorizePublish: hooks.authorizePublish,
    authorizeSubscribe: hooks.authorizeSubscribe,
    authorizeForward: hooks.authorizeForward,
    inbound: hooks.inbound,
    maxPacketBytes: hooks.maxPacketBytes,
  });
  broker.on('client', (c) => hooks.onRegistered(c));
  broker.on('clientReady', (c) => hooks.onReady(c));
  broker.on('unsubscribe', (topics, c) => hooks.onUnsubscribe(topics, c));
  broker.on('clientError', (c, e) => log.debug(`client ${c?.id ?? '?'} error: ${e.message}`));
  broker.on('connectionError', (_c, e) => log.debug(`connection error: ${e.message}`));

  tokens.start();

  const writer = opts.writeSessions === false ? undefined : new SessionWriter(opts.dataSource, registry, opts.nodeId ?? broker.id, log);
  await writer?.start();

  index.on('change', (ch: IndexChange) => {
    const n = hooks.revalidate(affectedBy(ch));
    if (n > 0) log.debug(`${ch.table} ${ch.op}: ${n} connection(s) closed`);
    if (ch.table === 'instances' && ch.op === 'DELETE' && ch.instanceId) {
      writer?.forgetInstance(ch.instanceId).catch((e: Error) => log.warn(`Cannot drop sessions of ${ch.instanceId}: ${e.message}`));
    }
  });

  const servers: (NetServer | HttpServer)[] = [];
  const ports: BrokerPorts = {};
  const onConnection = (conn: Parameters<typeof hooks.handle>[1], req?: Parameters<typeof hooks.handle>[2]): void => {
    try {
      hooks.handle(broker, conn, req);
    } catch (e) {
      log.error(`Cannot take a connection: ${(e as Error).message}`);
      conn.destroy();
    }
  };
  const listen = async (server: NetServer | HttpServer, port: number): Promise<number> => {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  };
  const withWebSocket = (server: HttpServer): HttpServer => {
    const wss = new WebSocketServer({ server, path: '/mqtt' });
    wss.on('connection', (socket, req) => {
      const stream = createWebSocketStream(socket);
      stream.on('error', () => undefined); // surfaced through aedes' own error handling
      onConnection(stream, req);
    });
    return server;
  };

  try {
    if (opts.ports.mqtt !== undefined) ports.mqtt = await listen(createNetServer(onConnection), opts.ports.mqtt);
    if (opts.ports.ws !== undefined) ports.ws = await listen(withWebSocket(createHttpServer()), opts.ports.ws);
    if (opts.ports.mqtts !== undefined || opts.ports.wss !== undefined) {
      if (!opts.tls) throw new Error('TLS ports need a certificate and key');
      if (opts.ports.mqtts !== undefined) ports.mqtts = await listen(createTlsServer(opts.tls, onConnection), opts.ports.mqtts);
      if (opts.ports.wss !== undefined) ports.wss = await listen(withWebSocket(createHttpsServer(opts.tls)), opts.ports.wss);
    }
  } catch (e) {
    await shutdown();
    throw e;
  }
  log.log(`Broker ${broker.id} listening: ${Object.entries(ports).map(([k, v]) => `${k}=${v}`).join(' ')}`);

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    const serversClosed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const s of servers) (s as HttpServer).closeAllConnections?.();
    await Promise.all(serversClosed);
    limiter.close();
    tokens.close();
    tokenIndex.detach();
    await writer?.close();
    await index.close();
    const p = opts.persistence as { destroy?: () => Promise<void> | void } | undefined;
    await p?.destroy?.();
  }

  return {
    broker,
    ports,
    index,
    settled: () => index.settled().then(() => tokenIndex.settled()),
    events: registry.bus,
    online: (instanceId) => registry.online(instanceId),
    stats: () => ({ qos0Shed: broker.shedCount }),
    publish(instanceId, topic, payload, o = {}) {
      const target = p2pTarget(topic);
      const packet = {
        cmd: 'publish',
        topic: target !== undefined ? p2pPrefix(instanceId, target) + topic : nsTopic(instanceId, topic),
        payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
        qos: o.qos ?? 0,
        retain: target === undefined && (o.retain ?? false),
        dup: false,
      } as CorePublishPacket;
      return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
    },
    disconnect(instanceId, clientId) {
      const ctx = registry.get(nsClientId(instanceId, clientId));
      if (!ctx) return false;
      log.log(`Closing ${clientId} of ${instanceId} (channel ${ctx.channelId}) on request`);
      ctx.client.close();
      return true;
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

/** Which live connections a configuration change may affect. */
function affectedBy(ch: IndexChange): (ctx: ClientContext) => boolean {
  switch (ch.table) {
    case 'access_keys':
    case 'device_credentials':
      return (ctx) => ctx.principal?.keyId === ch.keyId;
    case 'instances':
    case 'mqtt_groups':
    case 'parent_topics':
      return (ctx) => ctx.instanceId === ch.instanceId;
    default:
      return () => true; // full reload
  }
}
