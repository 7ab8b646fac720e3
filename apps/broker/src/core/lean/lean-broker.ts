import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import type { BrokerCore, Connection, CoreClient, CoreEvents, CoreHooks, CoreOptions, CorePublishPacket, CoreSubscription } from '../types.js';
import { FrameCache, LeanClient } from './lean-client.js';
import { Qlobber } from 'qlobber';
import { Router } from './router.js';

type Pkt = Record<string, any>;
type Ref = { id: string };

/** The aedes-persistence (async API, aedes ≥ 1.0) calls the lean core makes. */
export interface Persistence {
  setup(broker: { id: string; counter: number }): Promise<void>;
  storeRetained(packet: Pkt): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): Readable;
  addSubscriptions(client: Ref, subs: CoreSubscription[]): Promise<void>;
  removeSubscriptions(client: Ref, topics: string[]): Promise<void>;
  subscriptionsByClient(client: Ref): Promise<Pkt[]>;
  subscriptionsByTopic(topic: string): Promise<Pkt[]>;
  cleanSubscriptions(client: Ref): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: Pkt): Promise<void>;
  outgoingUpdate(client: Ref, packet: Pkt): Promise<void>;
  outgoingClearMessageId(client: Ref, packet: Pkt): Promise<Pkt | undefined>;
  outgoingStream(client: Ref): Readable;
  /** Optional (PgPersistence): true when the client certainly has no queued message; spares streaming an empty queue. */
  outgoingEmpty?(client: Ref): boolean;
  incomingStorePacket(client: Ref, packet: Pkt): Promise<void>;
  incomingGetPacket(client: Ref, packet: Pkt): Promise<Pkt>;
  incomingDelPacket(client: Ref, packet: Pkt): Promise<void>;
  cleanIncoming?(client: Ref): Promise<void>;
  putWill(client: Ref & { brokerId?: string }, packet: Pkt): Promise<void>;
  delWill(client: Ref & { brokerId?: string }): Promise<Pkt | undefined>;
  streamWill(brokers?: Record<string, number>): Readable;
}

/** The mqemitter interface the lean core uses for scale-out (mqemitter-redis). */
type Listener = (packet: Pkt, done: () => void) => void;

interface Emitter {
  on(topic: string, listener: Listener, done?: () => void): unknown;
  removeListener(topic: string, listener: Listener, done?: () => void): unknown;
  emit(packet: Pkt, done?: (err?: Error) => void): unknown;
  close(done: () => void): unknown;
}

const SYS = '$SYS/';
/** How often keepalive and connect timeouts are checked. */
const SWEEP_MS = 250;

/**
 * Our broker core (research/broker-core.md §5, rank 1): MQTT 3.1/3.1.1 on the fast-path packet reader
 * (mqtt-packet for the rest), qlobber routing, serialize-once fan-out and one coalesced write per socket
 * per tick, bounded ingress, compact connection state — with aedes' hook signatures, aedes-persistence's
 * interface (so the PostgreSQL and Redis persistences plug in unchanged) and mqemitter as the
 * scale-out seam.
 *
 * Publish path: retained store and offline copies for persistent sessions first (QoS ≥ 1 only; nothing
 * is awaited for a plain QoS 0 message), then routing — in process, synchronously, or through the shared
 * emitter when there is one (every node, this one included, routes what the emitter hands it).
 */
export class LeanBroker extends EventEmitter<CoreEvents> implements BrokerCore {
  readonly kind = 'lean' as const;
  readonly id: string;
  /** aedes-persistence reads and raises this (offline copies are keyed by brokerId + brokerCounter). */
  counter = 0;
  readonly router = new Router<LeanClient>();
  readonly persistence: Persistence;
  readonly hooks: CoreHooks;
  readonly queueLimit: number;
  readonly drainTimeout: number;
  readonly connectTimeout: number;
  readonly maxClientsIdLength: number;
  readonly inbound: CoreOptions['inbound'];
  private readonly maxPacket: CoreOptions['maxPacketBytes'];
  private readonly mq: Emitter | undefined;
  /** Registered (authenticated) clients by ClientId. */
  private readonly clients = new Map<string, LeanClient>();
  /** Every connection, for the keepalive sweep. */
  private readonly connections = new Set<LeanClient>();
  private dirty: LeanClient[] = [];
  private flushScheduled = false;
  private readonly flushAll = (): void => this.flush();
  private readonly sweepTimer: NodeJS.Timeout;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private willTimer: NodeJS.Timeout | undefined;
  /** Other nodes heard from (id → last heartbeat), for publishing the wills of dead ones. */
  private readonly brokers: Record<string, number> = {};
  private readonly heartbeatInterval: number;
  private closedFlag = false;
  /** QoS 0 deliveries shed because their subscriber could not keep up. */
  shedCount = 0;
  /**
   * ClientIds of persistent sessions seen by this process, so a resumed session without subscriptions
   * still reports sessionPresent [MQTT-3.2.2-2]. Sessions with subscriptions are known from the
   * persistence, across restarts and nodes; an empty one is only known here (the persistence interface
   * has no session record).
   */
  private readonly sessions = new Set<string>();
  /** In-process listeners of `subscribe()` (without an emitter; with one they are the emitter's). */
  private serverListeners: Qlobber<Listener> | undefined;

  constructor(opts: CoreOptions) {
    super();
    this.id = opts.id ?? randomUUID();
    this.persistence = (opts.persistence as Persistence | undefined) ?? (new MemoryPersistence() as unknown as Persistence);
    this.hooks = opts;
    this.queueLimit = opts.queueLimit ?? 42;
    this.drainTimeout = opts.drainTimeout ?? 30_000;
    this.connectTimeout = opts.connectTimeout ?? 10_000;
    this.maxClientsIdLength = opts.maxClientsIdLength ?? 23;
    this.heartbeatInterval = opts.heartbeatInterval ?? 60_000;
    this.inbound = opts.inbound;
    this.maxPacket = opts.maxPacketBytes;
    this.mq = opts.mq as Emitter | undefined;
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
  }

  async setup(): Promise<void> {
    await this.persistence.setup(this);
    const mq = this.mq;
    if (mq) {
      await new Promise<void>((resolve) => mq.on('#', (packet, done) => this.fromEmitter(packet, done), resolve));
      const beat = (): unknown => mq.emit({ topic: `${SYS}${this.id}/heartbeat`, payload: Buffer.from(this.id), qos: 0, retain: false });
      beat();
      this.heartbeatTimer = setInterval(beat, this.heartbeatInterval);
      this.heartbeatTimer.unref();
    }
    this.willTimer = setInterval(() => void this.publishDeadWills(false), this.heartbeatInterval * 4);
    this.willTimer.unref();
    // Wills left by an earlier life of this node (killed before it could publish them) are due now.
    await this.publishDeadWills(true);
  }

  // --- connections -----------------------------------------------------------------------------------

  handle(conn: Connection, req?: IncomingMessage): CoreClient {
    const client = new LeanClient(this, conn, req);
    this.connections.add(client);
    return client;
  }

  maxPacketBytes(client: LeanClient): number {
    return this.maxPacket ? this.maxPacket(client) : 268_435_455;
  }

  disconnectedGracefully(client: CoreClient): boolean {
    return (client as LeanClient).disconnected;
  }

  /** CONNECT authenticated: take over the ClientId, set the session up, CONNACK, resume the session. */
  async accept(client: LeanClient): Promise<void> {
    const p = this.persistence;
    try {
      const old = this.clients.get(client.id);
      if (old && old !== client) await new Promise<void>((resolve) => old.close(resolve));
      if (client.closed) return;
      let restored: CoreSubscription[] = [];
      let sessionPresent = false;
      if (client.clean) {
        // A clean session discards any earlier one: subscriptions, unreleased QoS 2, queued messages [MQTT-3.1.2-6].
        this.sessions.delete(client.id);
        await p.cleanSubscriptions(client);
        await p.cleanIncoming?.(client);
        await this.discardQueue(client);
      } else {
        restored = (await p.subscriptionsByClient(client)).map((s) => ({ topic: s.topic as string, qos: s.qos as 0 | 1 | 2 }));
        sessionPresent = restored.length > 0 || this.sessions.has(client.id);
        this.sessions.add(client.id);
      }
      await p.delWill({ id: client.id, brokerId: this.id });
      if (client.will) await p.putWill(client, client.will);
      if (client.closed) return;
      // Registered before CONNACK, as aedes does: 'client' listeners may subscribe on its behalf.
      this.clients.set(client.id, client);
      client.registered = true;
      this.mq?.emit({ topic: `${SYS}${this.id}/new/clients`, payload: Buffer.from(client.id), qos: 0, retain: false });
      this.emit('client', client);
      if (restored.length > 0) {
        await new Promise<void>((resolve, reject) => client.subscribeAll(restored, 'restore', undefined, (err) => (err ? reject(err) : resolve())));
      }
      if (client.closed) return;
      client.connack(sessionPresent);
      if (!client.clean) await this.resumeQueue(client);
      if (client.closed) return;
      this.emit('clientReady', client);
      client.ready();
    } catch (e) {
      if (!client.closed) {
        this.emit('clientError', client, e as Error);
        client.close();
      }
    }
  }

  /** The offline queue of a resumed session, oldest first; each message is written once stored with its new id. */
  private async resumeQueue(client: LeanClient): Promise<void> {
    if (this.persistence.outgoingEmpty?.(client)) return;
    for await (const stored of this.persistence.outgoingStream(client)) {
      if (client.closed) return;
      await client.resend(stored as CorePublishPacket);
    }
  }

  /** A clean session drops what an earlier persistent one left queued (the persistence has no bulk call for it). */
  private async discardQueue(client: LeanClient): Promise<void> {
    if (this.persistence.outgoingEmpty?.(client)) return;
    let id = 0;
    for await (const stored of this.persistence.outgoingStream(client)) {
      const ref = { ...(stored as Pkt), messageId: (id = (id % 65_535) + 1) };
      await this.persistence.outgoingUpdate(client, ref);
      await this.persistence.outgoingClearMessageId(client, ref);
    }
  }

  /** The connection ended (any reason): unregister, publish or drop the will, end a clean session. */
  async closed(client: LeanClient): Promise<void> {
    this.connections.delete(client);
    const p = this.persistence;
    const will = client.will;
    client.will = null;
    const current = this.clients.get(client.id) === client;
    if (current) this.clients.delete(client.id);
    if (client.registered) {
      client.registered = false;
      this.emit('clientDisconnect', client);
    }
    if (!current) return; // refused, or replaced before it was registered: it never had a session
    if (will && !client.disconnected) {
      const allowed = await new Promise<boolean>((resolve) => {
        const authorize = this.hooks.authorizePublish;
        if (!authorize) return resolve(true);
        authorize(client, will, (err) => resolve(!err));
      });
      if (allowed) await new Promise<void>((resolve) => this.publish(will, null, () => resolve()));
    }
    if (will) await p.delWill({ id: client.id, brokerId: this.id }).catch(() => undefined);
    if (client.clean) await p.cleanIncoming?.(client).catch(() => undefined);
  }

  // --- publishing ------------------------------------------------------------------------------------

  /**
   * Publishes a message. Plain QoS 0 (no retain, no emitter) is routed synchronously and returns the
   * congested subscriber, if any, that the publisher should wait for; everything else calls
   * `done` once stored and handed to routing.
   */
  publish(
    packet: CorePublishPacket,
    client: LeanClient | null,
    done: ((err: Error | null, congested?: LeanClient) => void) | undefined,
  ): LeanClient | undefined;
  publish(packet: CorePublishPacket, done: (err?: Error | null) => void): void;
  publish(
    packet: CorePublishPacket,
    clientOrDone: LeanClient | null | ((err?: Error | null) => void),
    maybeDone?: (err: Error | null, congested?: LeanClient) => void,
  ): LeanClient | undefined {
    let client: LeanClient | null;
    let done: ((err: Error | null, congested?: LeanClient) => void) | undefined;
    if (typeof clientOrDone === 'function') {
      client = null;
      done = clientOrDone;
    } else {
      client = clientOrDone;
      done = maybeDone;
    }
    packet.brokerId = this.id;
    packet.brokerCounter = ++this.counter;
    if (packet.qos === 0 && !packet.retain && !this.mq) {
      const congested = this.route(packet);
      this.published(packet, client);
      if (done) done(null, congested);
      return congested;
    }
    this.store(packet).then(
      () => {
        if (this.mq) {
          this.mq.emit(packet, (err) => {
            this.published(packet, client);
            done?.(err ?? null);
          });
          return;
        }
        const congested = this.route(packet);
        this.published(packet, client);
        done?.(null, congested);
      },
      (err: Error) => done?.(err),
    );
    return undefined;
  }

  /**
   * aedes' `subscribe`/`unsubscribe`: a server-side listener on a topic filter. Persistences use it to
   * share state between nodes (aedes-persistence-redis broadcasts subscriptions on `$SYS/sub/+`).
   */
  subscribe(topic: string, listener: Listener, done?: () => void): void {
    if (this.mq) {
      this.mq.on(topic, listener, done);
      return;
    }
    (this.serverListeners ??= new Qlobber<Listener>({ separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true })).add(topic, listener);
    done?.();
  }

  unsubscribe(topic: string, listener: Listener, done?: () => void): void {
    if (this.mq) {
      this.mq.removeListener(topic, listener, done);
      return;
    }
    this.serverListeners?.remove(topic, listener);
    done?.();
  }

  /** What must be durable before a message is acknowledged or routed: the retained copy, the offline copies. */
  private async store(packet: CorePublishPacket): Promise<void> {
    const p = this.persistence;
    if (packet.retain) await p.storeRetained(packet);
    if (packet.qos > 0) {
      let subs = await p.subscriptionsByTopic(packet.topic);
      if (packet.topic.startsWith('$')) subs = subs.filter((s) => !/^[+#]/.test(s.topic as string));
      if (subs.length > 0) await p.outgoingEnqueueCombi(subs as { clientId: string }[], packet);
    }
  }

  private published(packet: CorePublishPacket, client: LeanClient | null): void {
    const hook = this.hooks.published;
    if (hook) hook(packet, client, noop);
  }

  /** Local delivery; returns a recipient past its buffer bound (the publisher waits for it). */
  private route(packet: CorePublishPacket): LeanClient | undefined {
    if (this.serverListeners) for (const l of this.serverListeners.match(packet.topic)) l(packet, noop);
    const recipients = this.router.match(packet.topic);
    const n = recipients.length;
    if (n === 0) return undefined;
    const live: CorePublishPacket = packet.retain ? { ...packet, retain: false } : packet; // [MQTT-3.3.1-9]
    const frames = n > 1 ? new FrameCache() : undefined;
    let congested: LeanClient | undefined;
    for (let i = 0; i < n; i++) {
      const r = recipients[i]!;
      if (r.client.deliver(live, r.qos, frames)) congested = r.client;
    }
    return congested;
  }

  /** A message from the shared emitter (any node's publish, this one's included), or node coordination. */
  private fromEmitter(packet: Pkt, done: () => void): void {
    const topic = packet.topic as string;
    if (topic.startsWith(SYS)) {
      const [, node, kind] = topic.split('/');
      if (kind === 'heartbeat') this.brokers[String(packet.payload)] = Date.now();
      else if (kind === 'new' && node !== this.id) {
        // The ClientId connected to another node: it takes the session over [MQTT-3.1.4-2].
        const local = this.clients.get(String(packet.payload));
        if (local) local.close();
      }
      return done();
    }
    const msg: CorePublishPacket = {
      cmd: 'publish',
      topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload as Uint8Array),
      qos: packet.qos as 0 | 1 | 2,
      retain: packet.retain === true,
      dup: false,
      brokerId: packet.brokerId as string,
      brokerCounter: packet.brokerCounter as number,
    };
    this.route(msg);
    done();
  }

  // --- writing ---------------------------------------------------------------------------------------

  /** One flush per event-loop turn for every client written to in it: one write per socket per tick. */
  scheduleFlush(client: LeanClient): void {
    this.dirty.push(client);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (let i = 0; i < dirty.length; i++) dirty[i]!.flush();
  }

  // --- housekeeping ----------------------------------------------------------------------------------

  private sweep(): void {
    const now = Date.now();
    for (const c of this.connections) {
      const err = c.expired(now, this.connectTimeout);
      if (err) c.timeout(err);
    }
  }

  /**
   * Wills of clients whose node died without publishing them (aedes' heartbeat scheme: a node unheard for
   * 3 intervals is dead). `own` also takes this node's id as dead: its wills are from an earlier life.
   */
  private async publishDeadWills(own: boolean): Promise<void> {
    const now = Date.now();
    for (const [id, at] of Object.entries(this.brokers)) if (at + 3 * this.heartbeatInterval < now) delete this.brokers[id];
    try {
      for await (const will of this.persistence.streamWill(own ? {} : this.brokers)) {
        const w = will as Pkt;
        if (this.closedFlag) return;
        const brokerId = w.brokerId as string;
        if (own ? brokerId !== this.id : brokerId === this.id || this.brokers[brokerId] !== undefined) continue;
        const clientId = w.clientId as string;
        if (this.clients.has(clientId)) continue;
        const packet: CorePublishPacket = { cmd: 'publish', topic: w.topic as string, payload: w.payload as Buffer, qos: w.qos as 0 | 1 | 2, retain: w.retain === true, dup: false };
        const allowed = await new Promise<boolean>((resolve) => {
          const authorize = this.hooks.authorizePublish;
          if (!authorize) return resolve(true);
          authorize(null, packet, (err) => resolve(!err));
        });
        if (allowed) await new Promise<void>((resolve) => this.publish(packet, () => resolve()));
        await this.persistence.delWill({ id: clientId, brokerId });
      }
    } catch (e) {
      this.emit('connectionError', undefined as unknown as CoreClient, e as Error);
    }
  }

  close(done?: () => void): void {
    if (this.closedFlag) {
      done?.();
      return;
    }
    this.closedFlag = true;
    clearInterval(this.sweepTimer);
    clearInterval(this.heartbeatTimer);
    clearInterval(this.willTimer);
    const closing = [...this.connections].map((c) => new Promise<void>((resolve) => c.close(resolve)));
    void Promise.all(closing).then(() => {
      this.flush();
      if (this.mq) this.mq.close(() => done?.());
      else done?.();
    });
  }
}

export async function createLeanCore(opts: CoreOptions): Promise<BrokerCore> {
  const broker = new LeanBroker(opts);
  await broker.setup();
  return broker;
}

function noop(): void {}
