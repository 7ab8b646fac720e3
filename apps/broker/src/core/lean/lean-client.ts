import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isValidTopicFilter, isValidTopicName, topicMatches } from '../../../../../libs/acl/src/topic.js';
import type { AuthenticateError, Connection, CoreClient, CorePublishPacket, CoreSubscription } from '../types.js';
import {
  connackFrame,
  encodePublish,
  PINGRESP_FRAME,
  pubackFrame,
  pubcompFrame,
  pubrecFrame,
  pubrelFrame,
  subackFrame,
  unsubackFrame,
  withMessageId,
  type PublishFrame,
} from './frames.js';
import type { LeanBroker } from './lean-broker.js';
import { PacketReader, type MqttPacket, type PacketSink } from './packet-reader.js';
import type { Route } from './router.js';

/** Packets read ahead of the one being handled before the socket is paused (bounded ingress). */
const INGRESS_PAUSE_AT = 256;
/** A subscriber with more than this buffered (ours + the socket's) makes its publishers wait for it. */
const EGRESS_BLOCK_BYTES = 1 << 20;
/**
 * How long a backed-up subscriber may hold its QoS 0 publishers back. Past it, QoS 0 deliveries to it are
 * shed (as Mosquitto does) until it drains, so one stuck reader cannot stall everyone; QoS ≥ 1 waits on.
 */
const SHED_AFTER_MS = 500;

type Qos = 0 | 1 | 2;
type Sub = Route<LeanClient>;
type Packet = MqttPacket;

const enum State {
  /** Waiting for CONNECT. */
  New,
  /** CONNECT being authenticated / session being set up. */
  Connecting,
  /** CONNACK (accepted) sent. */
  Connected,
  Closed,
}

/**
 * One MQTT connection of the lean core: compact state, no stream wrappers or per-connection closures
 * (listeners are this object's own methods, bound once), packets parsed by the shared fast-path reader,
 * handled strictly in order, and frames written through the broker's once-per-tick flush.
 *
 * Inbound packets are handled one at a time: one that needs to wait (an asynchronous hook, a store in
 * the persistence, a congested subscriber) holds the ones behind it, and the socket is paused once
 * INGRESS_PAUSE_AT are waiting — a publisher can never run ahead of what the broker has absorbed.
 */
export class LeanClient implements CoreClient, PacketSink {
  id = '';
  clean = true;
  version = 4;
  keepaliveMs = 0;
  lastSeen: number;
  readonly createdAt: number;
  /** ClientId sent a DISCONNECT. */
  disconnected = false;
  will: CorePublishPacket | null = null;
  /** Counted for the registry of the broker (authenticated, registered). */
  registered = false;

  private state = State.New;
  private readonly reader: PacketReader;
  /** Packets read but not handled yet (the first one is being handled when `busy`). */
  private backlog: Packet[] = [];
  private busy = false;
  private paused = false;
  /** Frames written this tick, flushed by the broker. */
  out: Buffer[] = [];
  outBytes = 0;
  queuedForFlush = false;
  /** Subscriptions by filter. */
  readonly subs = new Map<string, Sub>();
  private nextId = 0;
  /** Outbound QoS 2 (and QoS 1 of persistent sessions) by packet id, waiting for the client's answer. */
  private inflight: Map<number, CorePublishPacket> | undefined;
  /** Inbound QoS 2 packet ids received and not yet released (PUBREL). */
  private inbound2: Set<number> | undefined;
  /** QoS ≥ 1 deliveries arriving before CONNACK, sent right after it. */
  private early: [CorePublishPacket, Qos][] | undefined;
  /** Publishers waiting for this client to drain. */
  private drainWaiters: LeanClient[] | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Bounds how long publishers wait for this client (see waitFor). */
  private waitTimer: NodeJS.Timeout | undefined;
  /** When QoS 0 deliveries first found the socket backed up (0: it is not). */
  private congestedSince = 0;
  private closeCallbacks: (() => void)[] | undefined;

  constructor(
    readonly broker: LeanBroker,
    readonly conn: Connection,
    readonly req?: IncomingMessage,
  ) {
    this.lastSeen = this.createdAt = Date.now();
    this.reader = new PacketReader(() => broker.maxPacketBytes(this));
    this.onData = this.onData.bind(this);
    this.onDrain = this.onDrain.bind(this);
    this.onSocketClose = this.onSocketClose.bind(this);
    this.onSocketError = this.onSocketError.bind(this);
    conn.on('data', this.onData);
    conn.on('drain', this.onDrain);
    conn.on('error', this.onSocketError);
    conn.on('close', this.onSocketClose);
    conn.on('end', this.onSocketClose);
  }

  get connected(): boolean {
    return this.state === State.Connected;
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  // --- reading ---------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastSeen = Date.now();
    const err = this.reader.push(chunk, this);
    if (!err) return;
    // A CONNECT of a protocol level we do not speak is answered before closing [MQTT-3.1.2-2].
    if (this.state === State.New && /protocol version/i.test(err.message)) return this.refuse(1);
    this.fail(err);
  }

  /** PacketSink: every parsed packet, in order. */
  onPacket(packet: Packet): boolean {
    if (this.state === State.Closed) return false;
    if (this.busy) {
      this.backlog.push(packet);
      if (this.state !== State.Connected && this.backlog.length > this.broker.queueLimit) {
        this.fail(new Error('Client queue limit reached'));
        return false;
      }
      if (!this.paused && this.backlog.length >= INGRESS_PAUSE_AT) {
        this.paused = true;
        this.conn.pause();
      }
      return true;
    }
    this.handle(packet);
    return !this.closed; // handling may have closed the connection
  }

  /** Handles one packet; may leave `busy` set, in which case `next()` continues later. */
  private handle(packet: Packet): void {
    if (this.state === State.New) {
      if (packet.cmd !== 'connect') return this.fail(new Error(`${packet.cmd} before CONNECT`));
      return this.onConnect(packet);
    }
    switch (packet.cmd) {
      case 'publish':
        return this.onPublish(packet);
      case 'puback':
        return this.onPuback(packet.messageId as number);
      case 'pubrec':
        return this.onPubrec(packet.messageId as number);
      case 'pubrel':
        return this.onPubrel(packet.messageId as number);
      case 'pubcomp':
        return this.onPubcomp(packet.messageId as number);
      case 'pingreq':
        return this.write(PINGRESP_FRAME);
      case 'subscribe':
        return this.onSubscribe(packet);
      case 'unsubscribe':
        return this.onUnsubscribe(packet);
      case 'disconnect':
        this.disconnected = true;
        return this.close();
      case 'connect':
        return this.fail(new Error('second CONNECT')); // [MQTT-3.1.0-2]
      default:
        return this.fail(new Error(`unexpected ${packet.cmd} from a client`));
    }
  }

  /** The packet being handled finished asynchronously: go on with the backlog. */
  private next(): void {
    this.busy = false;
    while (!this.busy && this.state !== State.Closed) {
      const packet = this.backlog.shift();
      if (packet === undefined) break;
      this.handle(packet);
    }
    if (this.paused && this.backlog.length < INGRESS_PAUSE_AT / 2 && this.state !== State.Closed) {
      this.paused = false;
      this.conn.resume();
    }
  }

  // --- CONNECT ---------------------------------------------------------------------------------------

  private onConnect(packet: Packet): void {
    this.state = State.Connecting;
    this.busy = true;
    this.broker.inbound?.(this, packet);
    const version = packet.protocolVersion as number;
    if (version !== 3 && version !== 4) return this.refuse(1);
    if (packet.password !== undefined && packet.username === undefined) return this.fail(new Error('password without user name')); // [MQTT-3.1.2-22]
    let clientId = (packet.clientId as string | undefined) ?? '';
    if (version === 3 && (clientId.length === 0 || clientId.length > this.broker.maxClientsIdLength)) return this.refuse(2);
    if (clientId.length === 0) {
      if (!packet.clean) return this.refuse(2); // [MQTT-3.1.3-8]
      clientId = `lean_${randomBytes(12).toString('hex')}`;
    }
    this.id = clientId;
    this.version = version;
    this.clean = packet.clean !== false;
    this.keepaliveMs = (packet.keepalive as number) > 0 ? (packet.keepalive as number) * 1500 + 1 : 0;
    const will = packet.will as { topic: string; payload: Buffer; qos?: number; retain?: boolean } | undefined;
    if (will) {
      if (!isValidTopicName(will.topic)) return this.fail(new Error('invalid will topic'));
      this.will = { cmd: 'publish', topic: will.topic, payload: will.payload ?? Buffer.alloc(0), qos: (will.qos ?? 0) as Qos, retain: will.retain === true, dup: false };
    }
    const authenticate = this.broker.hooks.authenticate;
    if (!authenticate) return void this.broker.accept(this);
    try {
      authenticate(this, packet.username as string | undefined, packet.password as Buffer | undefined, (err, ok) => {
        if (this.state !== State.Connecting) return;
        if (!err && ok) return void this.broker.accept(this);
        const code = (err as AuthenticateError | null)?.returnCode;
        this.refuse(code !== undefined && code >= 2 && code <= 5 ? code : 5);
      });
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** CONNACK with a refusal code, then close. */
  private refuse(returnCode: number): void {
    this.write(connackFrame(false, returnCode));
    this.close();
  }

  /** Called by the broker once the session is set up: CONNACK, then what was waiting. */
  connack(sessionPresent: boolean): void {
    if (this.state !== State.Connecting) return;
    this.write(connackFrame(sessionPresent, 0));
    this.state = State.Connected;
    const early = this.early;
    this.early = undefined;
    if (early) for (const [p, qos] of early) this.deliver(p, qos);
  }

  /** The session is ready (offline queue written): handle what was read meanwhile. */
  ready(): void {
    if (this.state === State.Connected) this.next();
  }

  // --- PUBLISH in ------------------------------------------------------------------------------------

  private onPublish(packet: Packet): void {
    this.broker.inbound?.(this, packet);
    const p = packet as unknown as CorePublishPacket;
    if (!isValidTopicName(p.topic)) return this.fail(new Error(`invalid topic ${JSON.stringify(p.topic)}`));
    if (p.qos === 2) {
      // A resent QoS 2 publish not released yet is the same message: answer it again, deliver it once.
      if (this.inbound2?.has(p.messageId!)) return this.write(pubrecFrame(p.messageId!));
    }
    const authorize = this.broker.hooks.authorizePublish;
    if (!authorize) return this.publishAuthorized(p);
    this.busy = true;
    let sync = true;
    let answer: Error | null | undefined;
    authorize(this, p, (err) => {
      if (sync) answer = err ?? null;
      else {
        this.busy = false;
        this.afterAuthorize(p, err ?? null, true);
      }
    });
    sync = false;
    if (answer !== undefined) {
      this.busy = false;
      this.afterAuthorize(p, answer, false);
    }
  }

  private afterAuthorize(p: CorePublishPacket, err: Error | null, resume: boolean): void {
    if (this.state === State.Closed) return;
    if (err) return this.fail(err);
    this.publishAuthorized(p);
    if (resume && !this.busy) this.next();
  }

  private publishAuthorized(p: CorePublishPacket): void {
    const id = p.messageId;
    p.dup = false;
    if (p.qos === 0) {
      p.messageId = undefined;
      const congested = this.broker.publish(p, this, undefined);
      if (congested) this.waitFor(congested);
      return;
    }
    this.busy = true; // the next packet waits until this one is stored
    if (p.qos === 1) {
      // PUBACK only once the message is stored (retained, offline copies): a broker killed before that
      // point has not acknowledged it, so the publisher sends it again.
      p.messageId = undefined;
      this.broker.publish(p, this, (err, congested) => {
        if (this.state === State.Closed) return;
        if (err) return this.fail(err);
        this.write(pubackFrame(id!));
        if (congested) this.waitFor(congested);
        else this.next();
      });
      return;
    }
    // QoS 2: stored as received, released (published) at PUBREL — delivered exactly once.
    p.messageId = id;
    this.broker.persistence.incomingStorePacket(this, p).then(
      () => {
        if (this.state === State.Closed) return;
        (this.inbound2 ??= new Set()).add(id!);
        this.write(pubrecFrame(id!));
        this.next();
      },
      (err: Error) => this.fail(err),
    );
  }

  private onPubrel(id: number): void {
    this.busy = true;
    const persistence = this.broker.persistence;
    const ref = { messageId: id };
    persistence
      .incomingGetPacket(this, ref)
      .then(
        (stored) =>
          new Promise<void>((resolve, reject) => {
            if (!stored || stored.cmd !== 'publish') return resolve();
            const p = stored as unknown as CorePublishPacket;
            p.messageId = undefined;
            this.broker.publish(p, this, (err) => (err ? reject(err) : resolve()));
          }),
        () => undefined, // unknown id: already released; answer PUBCOMP anyway [MQTT-4.3.3]
      )
      .then(() => persistence.incomingDelPacket(this, ref).catch(() => undefined))
      .then(
        () => {
          if (this.state === State.Closed) return;
          this.inbound2?.delete(id);
          this.write(pubcompFrame(id));
          this.next();
        },
        (err: Error) => this.fail(err),
      );
  }

  /** Waits for a congested subscriber before reading on. */
  private waitFor(subscriber: LeanClient): void {
    this.busy = true;
    (subscriber.drainWaiters ??= []).push(this);
    // At most SHED_AFTER_MS: by then a subscriber still backed up sheds QoS 0 instead of holding anyone.
    if (subscriber.waitTimer === undefined) {
      subscriber.waitTimer = setTimeout(() => {
        subscriber.waitTimer = undefined;
        subscriber.releaseWaiters();
      }, SHED_AFTER_MS);
      subscriber.waitTimer.unref();
    }
  }

  // --- PUBLISH out -----------------------------------------------------------------------------------

  /**
   * One delivery to this client. `frames` is the message's encoding cache shared by all its recipients.
   * Returns true when this client is congested past EGRESS_BLOCK_BYTES: the publisher should wait for it.
   */
  deliver(message: CorePublishPacket, subQos: Qos, frames?: FrameCache): boolean {
    if (this.state !== State.Connected) {
      if (this.state === State.Connecting && message.qos > 0 && subQos > 0) (this.early ??= []).push([message, subQos]);
      return false;
    }
    const qos = (message.qos < subQos ? message.qos : subQos) as Qos;
    const conn = this.conn;
    if (qos === 0 && (conn as { writableNeedDrain?: boolean }).writableNeedDrain) {
      // Backed up: a slow reader makes its publishers wait (flow control, below); one that has not drained
      // for SHED_AFTER_MS has its QoS 0 messages shed instead.
      const now = Date.now();
      if (this.congestedSince === 0) this.congestedSince = now;
      else if (now - this.congestedSince > SHED_AFTER_MS) {
        this.broker.shedCount++;
        return false;
      }
    }
    let p: CorePublishPacket = message;
    const forward = this.broker.hooks.authorizeForward;
    if (forward) {
      const copy: CorePublishPacket = {
        cmd: 'publish',
        topic: message.topic,
        payload: message.payload,
        qos,
        retain: message.retain,
        dup: false,
        messageId: undefined,
        brokerId: message.brokerId,
        brokerCounter: message.brokerCounter,
      };
      const allowed = forward(this, copy);
      if (!allowed) {
        if (qos > 0 && !this.clean) this.broker.persistence.outgoingClearMessageId(this, message).catch(() => undefined);
        return false;
      }
      p = allowed;
    }
    if (qos === 0) {
      this.write(frames ? frames.qos0(p) : encodePublish(p.topic, p.payload, 0, p.retain, false, 0).frame);
      return this.congested();
    }
    const id = this.allocateId();
    const template = frames ? frames.qosN(p, qos) : encodePublish(p.topic, p.payload, qos, p.retain, false, 0);
    const frame = withMessageId(template, id, false);
    if (qos === 2 || !this.clean) {
      const sent: CorePublishPacket = { cmd: 'publish', topic: p.topic, payload: p.payload, qos, retain: p.retain, dup: false, messageId: id, brokerId: p.brokerId, brokerCounter: p.brokerCounter };
      (this.inflight ??= new Map()).set(id, sent);
      if (!this.clean && !p.retain) {
        // The stored offline copy learns its packet id before the frame goes out (resent on reconnect).
        this.broker.persistence.outgoingUpdate(this, sent).then(
          () => this.write(frame),
          () => this.write(frame),
        );
        return this.congested();
      }
    }
    this.write(frame);
    return this.congested();
  }

  /** Resends a stored offline message (or PUBREL) on session resume. */
  resend(stored: CorePublishPacket | { cmd: 'pubrel'; messageId: number }): Promise<void> {
    const persistence = this.broker.persistence;
    if (stored.cmd === 'pubrel') {
      (this.inflight ??= new Map()).set(stored.messageId, stored as unknown as CorePublishPacket);
      this.write(pubrelFrame(stored.messageId));
      return Promise.resolve();
    }
    const id = this.allocateId();
    // Sent before (it has a packet id from an earlier connection): DUP [MQTT-3.3.1-1]. Read before the
    // update, which may change the stored object itself.
    const dup = stored.messageId !== undefined && stored.messageId !== null;
    const sent: CorePublishPacket = { ...stored, messageId: id };
    return persistence.outgoingUpdate(this, sent).then(() => {
      if (this.state !== State.Connected) return;
      const forward = this.broker.hooks.authorizeForward;
      const p = forward ? forward(this, { ...sent }) : sent;
      if (!p) return void persistence.outgoingClearMessageId(this, sent).catch(() => undefined);
      (this.inflight ??= new Map()).set(id, sent);
      this.write(withMessageId(encodePublish(p.topic, p.payload, sent.qos, false, false, 0), id, dup));
    });
  }

  private allocateId(): number {
    for (let i = 0; i < 65_535; i++) {
      this.nextId = this.nextId === 65_535 ? 1 : this.nextId + 1;
      if (!this.inflight?.has(this.nextId)) return this.nextId;
    }
    return this.nextId;
  }

  private onPuback(id: number): void {
    const sent = this.inflight?.get(id);
    if (sent === undefined) return;
    this.inflight!.delete(id);
    if (!this.clean) this.broker.persistence.outgoingClearMessageId(this, { messageId: id }).catch(() => undefined);
  }

  private onPubrec(id: number): void {
    const sent = this.inflight?.get(id);
    const pubrel = { cmd: 'pubrel', messageId: id };
    if (sent !== undefined) this.inflight!.set(id, pubrel as unknown as CorePublishPacket);
    if (!this.clean && sent !== undefined) {
      this.broker.persistence.outgoingUpdate(this, pubrel).then(
        () => this.write(pubrelFrame(id)),
        () => this.write(pubrelFrame(id)),
      );
    } else this.write(pubrelFrame(id));
  }

  private onPubcomp(id: number): void {
    if (!this.inflight?.delete(id)) return;
    if (!this.clean) this.broker.persistence.outgoingClearMessageId(this, { messageId: id }).catch(() => undefined);
  }

  // --- SUBSCRIBE -------------------------------------------------------------------------------------

  private onSubscribe(packet: Packet): void {
    this.broker.inbound?.(this, packet);
    const subs = packet.subscriptions as CoreSubscription[];
    for (const s of subs) if (!isValidTopicFilter(s.topic)) return this.fail(new Error(`invalid filter ${JSON.stringify(s.topic)}`));
    this.busy = true;
    this.subscribeAll(subs, 'packet', packet.messageId as number, (err) => {
      if (err) return this.fail(err);
      this.next();
    });
  }

  /** CoreClient.subscribe: on behalf of the client, through authorizeSubscribe like a SUBSCRIBE, without SUBACK. */
  subscribe(sub: CoreSubscription | CoreSubscription[], done: (err?: Error | null) => void): void {
    const subs = Array.isArray(sub) ? sub : [sub];
    for (const s of subs) if (!isValidTopicFilter(s.topic)) return done(new Error(`invalid filter ${JSON.stringify(s.topic)}`));
    this.subscribeAll(subs, 'server', undefined, done);
  }

  /**
   * Authorizes every filter (all hook calls are made before any answer is used: a hook may look at the
   * whole packet), stores the granted ones of a persistent session, adds them to the router, answers
   * SUBACK and sends the matching retained messages. `restore` (a resumed session's stored subscriptions)
   * re-authorizes and routes only: they are stored already, and no SUBACK or retained message is due.
   */
  subscribeAll(requested: CoreSubscription[], mode: 'packet' | 'server' | 'restore', messageId: number | undefined, done: (err?: Error | null) => void): void {
    // Every filter is answered in order; the same filter twice in one packet: the last one counts, as it
    // replaces the first when the routes are added in order (3.1.1 §3.8.4).
    const subs = requested.map((s) => ({ topic: s.topic, qos: s.qos }));
    const granted: (CoreSubscription | null)[] = new Array<CoreSubscription | null>(subs.length).fill(null);
    const authorize = this.broker.hooks.authorizeSubscribe;
    if (subs.length === 0 || !authorize) {
      for (let i = 0; i < subs.length; i++) granted[i] = subs[i]!;
      return this.grant(granted, mode, messageId, done);
    }
    let waiting = subs.length;
    let failed = false;
    const settle = (i: number, err: Error | null, sub: CoreSubscription | null | undefined): void => {
      if (failed) return;
      if (err) {
        failed = true;
        return done(err);
      }
      granted[i] = sub ?? null;
      if (--waiting === 0) this.grant(granted, mode, messageId, done);
    };
    for (let i = 0; i < subs.length; i++) {
      try {
        authorize(this, subs[i]!, (err, sub) => settle(i, err, sub));
      } catch (e) {
        failed = true;
        return done(e as Error);
      }
    }
  }

  private grant(granted: (CoreSubscription | null)[], mode: 'packet' | 'server' | 'restore', messageId: number | undefined, done: (err?: Error | null) => void): void {
    if (this.state === State.Closed) return done(new Error('connection closed'));
    const ok = granted.filter((g): g is CoreSubscription => g !== null && isValidTopicFilter(g.topic));
    const finish = (): void => {
      if (this.state === State.Closed) return done(new Error('connection closed'));
      for (const g of ok) this.addRoute(g.topic, g.qos);
      if (messageId !== undefined) this.write(subackFrame(messageId, granted.map((g) => (g ? g.qos : 0x80))));
      done(null);
      // Retained messages answer a device's SUBSCRIBE; server-side subscriptions (CoreClient.subscribe:
      // Aviary's private P2P filter on every CONNECT) skip the look-up.
      if (mode === 'packet' && ok.length > 0) this.sendRetained(ok);
    };
    if (this.clean || ok.length === 0 || mode === 'restore') return finish();
    this.broker.persistence.addSubscriptions(this, ok).then(finish, (err: Error) => done(err));
  }

  /** Adds (or re-grades) a subscription in the router; restored subscriptions come through here too. */
  addRoute(filter: string, qos: Qos): void {
    const existing = this.subs.get(filter);
    if (existing) {
      if (existing.qos !== qos) {
        existing.qos = qos; // the router holds this same object
        this.broker.router.changed();
      }
      return;
    }
    const route: Sub = { client: this, filter, qos };
    this.subs.set(filter, route);
    this.broker.router.add(route);
  }

  /** Retained messages matching newly granted filters, with RETAIN set, at the granted QoS [MQTT-3.3.1-6]. */
  private sendRetained(filters: CoreSubscription[]): void {
    const stream = this.broker.persistence.createRetainedStreamCombi(filters.map((f) => f.topic));
    stream.on('data', (packet: CorePublishPacket) => {
      let qos = -1;
      for (const f of filters) if (f.qos > qos && topicMatches(f.topic, packet.topic)) qos = f.qos;
      if (qos < 0) return;
      this.deliver({ cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: true, dup: false }, qos as Qos);
    });
    stream.on('error', (err: Error) => this.broker.emit('clientError', this, err));
  }

  private onUnsubscribe(packet: Packet): void {
    this.broker.inbound?.(this, packet);
    const filters = packet.unsubscriptions as string[];
    for (const f of filters) {
      const route = this.subs.get(f);
      if (!route) continue;
      this.subs.delete(f);
      this.broker.router.remove(route);
    }
    const answer = (): void => {
      if (this.state === State.Closed) return;
      this.write(unsubackFrame(packet.messageId as number));
      this.broker.emit('unsubscribe', filters, this);
      this.next();
    };
    if (this.clean) return answer();
    this.busy = true;
    this.broker.persistence.removeSubscriptions(this, filters).then(answer, (err: Error) => this.fail(err));
  }

  // --- writing ---------------------------------------------------------------------------------------

  /** Queues a frame; the broker writes every client's frames of this tick in one write. */
  write(frame: Buffer): void {
    if (this.state === State.Closed) return;
    this.out.push(frame);
    this.outBytes += frame.length;
    if (!this.queuedForFlush) {
      this.queuedForFlush = true;
      this.broker.scheduleFlush(this);
    }
  }

  /** Writes what was queued this tick (called by the broker). */
  flush(): void {
    this.queuedForFlush = false;
    const n = this.out.length;
    if (n === 0) return;
    const data = n === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    if (this.conn.destroyed) return;
    if (this.conn.write(data)) {
      // Handed to the kernel at once: no 'drain' will come, so publishers waiting on us go on now.
      if (this.drainWaiters) this.releaseWaiters();
    } else if (this.drainTimer === undefined && this.broker.drainTimeout > 0) {
      this.drainTimer = setTimeout(() => this.fail(new Error('drain timeout')), this.broker.drainTimeout);
      this.drainTimer.unref();
    }
  }

  private congested(): boolean {
    return this.outBytes + this.conn.writableLength > EGRESS_BLOCK_BYTES;
  }

  private onDrain(): void {
    this.congestedSince = 0;
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const waiters = this.drainWaiters;
    if (!waiters) return;
    this.drainWaiters = undefined;
    for (const w of waiters) if (w.state !== State.Closed) w.next();
  }

  // --- closing ---------------------------------------------------------------------------------------

  /** A protocol or I/O error: the connection is closed (and the will published). */
  private fail(err: Error): void {
    if (this.state === State.Closed) return;
    this.broker.emit(this.id ? 'clientError' : 'connectionError', this, err);
    this.close();
  }

  private onSocketError(err: Error): void {
    this.fail(err);
  }

  private onSocketClose(): void {
    this.close();
  }

  /** CoreClient.close: flushes what is queued (a refusing CONNACK must arrive), ends the connection, publishes the will unless DISCONNECTed. */
  close(done?: () => void): void {
    if (done) {
      if (this.state === State.Closed && this.closeCallbacks === undefined) return done();
      (this.closeCallbacks ??= []).push(done);
    }
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    const conn = this.conn;
    conn.removeListener('data', this.onData);
    conn.on('error', noop);
    // Frames of this tick still go out (a refusing CONNACK, a PUBACK) before the end.
    if (this.out.length > 0 && !conn.destroyed) {
      const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
      this.out = [];
      this.outBytes = 0;
      conn.end(data);
      setTimeout(() => conn.destroy(), 1000).unref();
    } else conn.destroy();
    for (const route of this.subs.values()) this.broker.router.remove(route);
    this.subs.clear();
    this.backlog = [];
    this.releaseWaiters();
    this.broker.closed(this).then(
      () => this.finishClose(),
      () => this.finishClose(),
    );
  }

  private finishClose(): void {
    const callbacks = this.closeCallbacks;
    this.closeCallbacks = undefined;
    if (callbacks) for (const cb of callbacks) cb();
  }

  /**
   * CoreClient.publish (aedes' `Client#publish`): a server-originated message written to this client
   * only, subscribed or not, through authorizeForward; a persistent session keeps a QoS ≥ 1 copy first.
   */
  publish(packet: CorePublishPacket, done: (err?: Error | null) => void): void {
    const p: CorePublishPacket = {
      cmd: 'publish',
      topic: packet.topic,
      payload: packet.payload,
      qos: packet.qos,
      retain: packet.retain === true,
      dup: false,
      brokerId: this.broker.id,
      brokerCounter: ++this.broker.counter,
    };
    if (p.qos === 0 || this.clean) {
      this.deliver(p, p.qos);
      return done(null);
    }
    this.broker.persistence.outgoingEnqueueCombi([{ clientId: this.id }], p).then(() => {
      this.deliver(p, p.qos);
      done(null);
    }, done);
  }

  /** Idle check by the broker's sweep: keepalive [MQTT-3.1.2-24] and connect timeout. */
  expired(now: number, connectTimeout: number): Error | undefined {
    if (this.state === State.New || this.state === State.Connecting) {
      return now - this.createdAt > connectTimeout ? new Error('connect did not arrive in time') : undefined;
    }
    if (this.keepaliveMs > 0 && now - this.lastSeen > this.keepaliveMs) return new Error('keep alive timeout');
    return undefined;
  }

  timeout(err: Error): void {
    this.fail(err);
  }
}

/**
 * The encodings of one message, shared by its recipients: QoS 0 subscribers get the same Buffer, QoS ≥ 1
 * ones copy a template and patch their packet id. Keyed by the topic the forward hook left (usually the
 * same string object for every recipient of an instance) and the retain flag.
 */
export class FrameCache {
  private topic0: string | undefined;
  private frame0: Buffer | undefined;
  private topicN: string | undefined;
  private levelN = 0;
  private templateN: PublishFrame | undefined;

  qos0(p: CorePublishPacket): Buffer {
    if (this.frame0 === undefined || this.topic0 !== p.topic) {
      this.topic0 = p.topic;
      this.frame0 = encodePublish(p.topic, p.payload, 0, p.retain, false, 0).frame;
    }
    return this.frame0;
  }

  qosN(p: CorePublishPacket, qos: Qos): PublishFrame {
    if (this.templateN === undefined || this.topicN !== p.topic || this.levelN !== qos) {
      this.topicN = p.topic;
      this.levelN = qos;
      this.templateN = encodePublish(p.topic, p.payload, qos, p.retain, false, 0);
    }
    return this.templateN;
  }
}


function noop(): void {}
