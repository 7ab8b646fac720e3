import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthenticateError, BrokerCore, Connection, CoreClient as Client, CorePublishPacket as PublishPacket, CoreSubscription as Subscription } from './core/types.js';
import { isValidTopicFilter, parentOf } from '../../../libs/acl/src/topic.js';
import { parseClientId } from '../../../libs/common/src/names.js';
import { DEFAULT_LIMITS } from '../../../libs/core/src/instances/instance.entity.js';
import type { Authenticator } from './auth/authenticators.js';
import type { ConfigIndex } from './index/config-index.js';
import type { RateLimiter } from './limits/rate-limiter.js';
import type { BrokerLogger } from './log.js';
import {
  deniedFilter,
  instancePrefix,
  nsClientId,
  nsTopic,
  p2pFilter,
  p2pPrefix,
  p2pTarget,
  parseUsername,
  sinkTopic,
  stripInstance,
} from './namespace.js';
import { ClientContext, contextOf, setContext } from './sessions/client-context.js';
import type { SessionRegistry } from './sessions/session-registry.js';

/** Room for the fixed header, topic (≤ 65535) and packet id on top of the payload limit. */
const PACKET_OVERHEAD = 65_600;
/** Before CONNECT names an instance, no packet may exceed this. */
const PRE_CONNECT_MAX_PACKET = DEFAULT_LIMITS.maxPayloadBytes + PACKET_OVERHEAD;

/**
 * Hook for system topics that clients may publish (`$SYS/uploadToken`); runs before the PUBACK. Returning
 * exactly `false` refuses the publish as any unauthorized one (the connection is closed); anything else accepts it.
 */
export type SystemTopicHandler = (ctx: ClientContext, topic: string, payload: Buffer) => unknown;

export interface DeviceHooksDeps {
  index: ConfigIndex;
  registry: SessionRegistry;
  limiter: RateLimiter;
  authenticators: Map<string, Authenticator>;
  systemTopics: Map<string, SystemTopicHandler>;
  log: BrokerLogger;
}

function authError(returnCode: 2 | 3 | 4 | 5): AuthenticateError {
  // The message reaches only aedes' error events, never the device (it sees the CONNACK code alone).
  const e = new Error(`connection refused (${returnCode})`) as AuthenticateError;
  e.returnCode = returnCode as AuthenticateError['returnCode'];
  return e;
}

/**
 * The adapter between aedes and Aviary's rules: the one place that implements aedes' hooks
 * (authenticate, authorizePublish, authorizeSubscribe, authorizeForward) for Alibaba-style devices.
 * Every decision reads the in-memory index: no I/O.
 *
 * CONNACK codes (design §1.4): 2 malformed ClientId; 4 malformed username, unknown mode, unknown or
 * inactive key, wrong password, device credential of another ClientId/instance; 5 valid credentials but
 * no right to the instance, unknown instance, GroupId not in the instance, or the instance at its
 * connection limit (we answer 5, "not authorized", rather than 3, "server unavailable": the refusal is a
 * per-tenant quota, not a broker fault, and clients must not hammer-retry it as an outage).
 *
 * Denials after CONNECT: a SUBSCRIBE filter gets 0x80; a PUBLISH closes the connection (3.1.1 has no
 * negative PUBACK). The reason goes to the log and the `denied` event, never to the client.
 */
export class DeviceHooks {
  constructor(private readonly deps: DeviceHooksDeps) {}

  /** Wraps `core.handle`: one context (and channel id) per connection, before any packet is read. */
  handle(core: BrokerCore, conn: Connection, req?: IncomingMessage): void {
    const ip = remoteIp(conn, req);
    const client = core.handle(conn, req);
    const ctx = new ClientContext(client, randomUUID(), ip);
    setContext(client, ctx);
    conn.once('close', () => {
      ctx.closed = true;
      this.deps.registry.detach(ctx);
      ctx.principal?.detached?.(ctx);
      if (ctx.announced) {
        ctx.announced = false;
        this.emitSession(ctx, core.disconnectedGracefully(client) ? 'disconnect' : 'tcpclean');
      }
    });
  }

  /** Core hook: the largest packet a client may send. Read live, so a raised payload limit applies at once. */
  maxPacketBytes = (client: Client): number => {
    const ctx = contextOf(client);
    if (ctx?.instanceId === undefined) return PRE_CONNECT_MAX_PACKET;
    return (this.deps.index.instance(ctx.instanceId)?.limits.maxPayloadBytes ?? DEFAULT_LIMITS.maxPayloadBytes) + PACKET_OVERHEAD;
  };

  /** Core hook: inbound renaming. */
  inbound = (client: Client, packet: Record<string, unknown>): void => {
    const ctx = contextOf(client);
    if (ctx) this.rewriteInbound(ctx, packet as unknown as InboundPacket);
  };

  /** Namespaces what the device sends (see namespace.ts): pure renaming, decisions come later. */
  private rewriteInbound(ctx: ClientContext, packet: InboundPacket): void {
    switch (packet.cmd) {
      case 'connect': {
        if (ctx.connectSeen) return; // a second CONNECT: aedes closes the connection [MQTT-3.1.0-2]
        ctx.connectSeen = true;
        ctx.clientId = packet.clientId ?? '';
        const u = parseUsername(packet.username);
        if (!u) return; // refused at authenticate
        ctx.instanceId = u.instanceId;
        ctx.prefix = instancePrefix(u.instanceId);
        if (ctx.clientId) {
          ctx.nsId = nsClientId(u.instanceId, ctx.clientId);
          ctx.p2pPrefix = p2pPrefix(u.instanceId, ctx.clientId);
          packet.clientId = ctx.nsId;
        }
        if (packet.will?.topic) packet.will.topic = nsTopic(u.instanceId, packet.will.topic);
        return;
      }
      case 'publish':
        if (ctx.instanceId !== undefined && packet.topic) packet.topic = ctx.prefix + packet.topic;
        return;
      case 'subscribe':
        if (ctx.instanceId === undefined) return;
        for (const s of packet.subscriptions ?? []) if (s.topic) s.topic = ctx.prefix + s.topic;
        return;
      case 'unsubscribe':
        if (ctx.instanceId === undefined || !packet.unsubscriptions) return;
        packet.unsubscriptions = packet.unsubscriptions.map((t) => (t ? ctx.prefix + t : t));
        return;
    }
  }

  // --- CONNECT --------------------------------------------------------------------------------------

  authenticate = (client: Client, username: Readonly<string | undefined>, password: Readonly<Buffer | undefined>, done: (error: AuthenticateError | null, success: boolean | null) => void): void => {
    const ctx = contextOf(client);
    if (!ctx) return done(authError(5), false);
    const refuse = (code: 2 | 4 | 5, reason: string): void => {
      this.deps.log.log(`CONNECT refused (${code}) channel=${ctx.channelId} ip=${ctx.clientIp} clientId=${JSON.stringify(ctx.clientId)}: ${reason}`);
      this.deps.registry.bus.emit('denied', { instanceId: ctx.instanceId, clientId: ctx.clientId, channelId: ctx.channelId, action: 'connect', reason, time: Date.now() });
      done(authError(code), false);
    };
    const cid = parseClientId(ctx.clientId);
    if (!cid) return refuse(2, 'malformed ClientId');
    const u = parseUsername(username);
    if (!u || u.instanceId !== ctx.instanceId) return refuse(4, 'malformed username');
    const authenticator = this.deps.authenticators.get(u.mode);
    if (!authenticator) return refuse(4, `unsupported mode ${u.mode}`);
    const finish = (outcome: Awaited<ReturnType<Authenticator['authenticate']>>): void => {
      if (!outcome.ok) return refuse(outcome.returnCode, outcome.reason);
      const { index, registry } = this.deps;
      const instance = index.instance(u.instanceId);
      if (!instance) return refuse(5, `instance ${u.instanceId} does not exist`);
      if (!index.hasGroup(u.instanceId, cid.groupId)) return refuse(5, `GroupId ${cid.groupId} does not exist in ${u.instanceId}`);
      // A connection taking over its own ClientId does not add one.
      const replacing = registry.get(ctx.nsId) !== undefined ? 1 : 0;
      if (registry.count(u.instanceId) - replacing >= instance.limits.maxConnections) {
        return refuse(5, `instance ${u.instanceId} is at its connection limit (${instance.limits.maxConnections})`);
      }
      if (ctx.closed) return done(authError(5), false);
      ctx.groupId = cid.groupId;
      ctx.principal = outcome.principal;
      const old = registry.attach(ctx);
      outcome.principal.attached?.(ctx);
      if (old) {
        this.deps.log.log(`clientId conflict: ${ctx.clientId} in ${u.instanceId}, channel ${old.channelId} replaced by ${ctx.channelId}`);
        registry.bus.emit('clientIdConflict', { instanceId: u.instanceId, clientId: ctx.clientId, oldChannelId: old.channelId, newChannelId: ctx.channelId, time: Date.now() });
      }
      done(null, true);
    };
    try {
      const outcome = authenticator.authenticate({ instanceId: u.instanceId, clientId: ctx.clientId, groupId: cid.groupId, keyId: u.keyId, password: password as Buffer | undefined });
      if (outcome instanceof Promise) {
        outcome.then(finish, (e: Error) => {
          this.deps.log.error(`Authenticator ${u.mode} failed: ${e.message}`);
          done(authError(3), false);
        });
      } else finish(outcome);
    } catch (e) {
      this.deps.log.error(`Authenticator ${u.mode} failed: ${(e as Error).message}`);
      done(authError(3), false);
    }
  };

  /** aedes 'client' (registered): the implicit subscription on the client's own P2P space. */
  onRegistered(client: Client): void {
    const ctx = contextOf(client);
    if (!ctx?.principal) return;
    client.subscribe({ topic: p2pFilter(ctx.instanceId!, ctx.clientId), qos: 1 }, (err) => {
      if (err) this.deps.log.warn(`P2P subscription for ${ctx.nsId} failed: ${err.message}`);
    });
  }

  onReady(client: Client): void {
    const ctx = contextOf(client);
    if (!ctx?.principal || ctx.closed) return;
    ctx.announced = true;
    this.emitSession(ctx, 'connect');
  }

  private emitSession(ctx: ClientContext, eventType: 'connect' | 'disconnect' | 'tcpclean'): void {
    this.deps.registry.bus.emit('session', {
      instanceId: ctx.instanceId!,
      clientId: ctx.clientId,
      channelId: ctx.channelId,
      clientIp: ctx.clientIp,
      eventType,
      time: Date.now(),
    });
  }

  // --- PUBLISH --------------------------------------------------------------------------------------

  authorizePublish = (client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void => {
    const ctx = contextOf(client);
    if (!ctx) {
      // aedes publishing a will of a client that is gone (e.g. from a crashed broker): the topic was
      // namespaced at CONNECT, so it is already confined to its instance; only the parent is re-checked.
      const m = /^~([^/]+)\/(.*)$/s.exec(packet.topic);
      if (m && this.deps.index.hasTopic(m[1]!, parentOf(m[2]!))) return done(null);
      return done(new Error('will without a live client refused'));
    }
    const reason = this.checkPublish(ctx, packet);
    if (reason) {
      this.deps.log.log(`PUBLISH refused, closing: channel=${ctx.channelId} ${ctx.nsId} topic=${JSON.stringify(packet.topic)}: ${reason}`);
      this.deps.registry.bus.emit('denied', { instanceId: ctx.instanceId, clientId: ctx.clientId, channelId: ctx.channelId, action: 'publish', reason, time: Date.now() });
      return done(new Error('resource auth failed'));
    }
    // After the connection closed, aedes only asks about the will: publish it without waiting.
    if (ctx.closed) return done(null);
    const rate = this.deps.index.instance(ctx.instanceId!)!.limits.maxMessagesPerSecond;
    // Budget left and nobody of this client waiting: answer now, without allocating a callback.
    if (ctx.rateWaiting === 0 && this.deps.limiter.tryTake(ctx.instanceId!, rate)) return done(null);
    ctx.rateWaiting++;
    this.deps.limiter.admit(
      ctx.instanceId!,
      rate,
      () => {
        ctx.rateWaiting--;
        done(ctx.closed ? new Error('connection closed') : null);
      },
      ctx.rateWaiting > 1, // earlier publishes of this client still wait: keep its order
    );
  };

  /**
   * Undefined when allowed (and `packet` rewritten for P2P / system topics), else the reason. Per message
   * only the instance's payload limit is read; the rest of an allowed decision — parent topic exists,
   * the principal may publish, where it routes (P2P) — is cached per internal topic and configuration
   * generation.
   */
  private checkPublish(ctx: ClientContext, packet: PublishPacket): string | undefined {
    const { index } = this.deps;
    if (!ctx.principal) return 'not authenticated';
    const internal = packet.topic;
    if (!internal.startsWith(ctx.prefix)) return 'topic outside the instance';
    const instance = index.instance(ctx.instanceId!);
    if (!instance) return 'instance deleted';
    if (packet.payload.length > instance.limits.maxPayloadBytes) return `payload of ${packet.payload.length} bytes over the limit of ${instance.limits.maxPayloadBytes}`;
    const route = ctx.decision('pub', internal, index.generation);
    if (route === undefined) return this.decidePublish(ctx, packet, internal);
    if (route !== internal) {
      packet.topic = route;
      packet.retain = false;
    }
    return undefined;
  }

  /** The uncached part of checkPublish; remembers allowed decisions (system topics excepted: they have effects). */
  private decidePublish(ctx: ClientContext, packet: PublishPacket, internal: string): string | undefined {
    const { index } = this.deps;
    const topic = internal.slice(ctx.prefix.length);
    if (topic.startsWith('$SYS/')) {
      const handler = this.deps.systemTopics.get(topic);
      if (!handler || handler(ctx, topic, packet.payload as Buffer) === false) return 'system topics are not publishable';
      // consumed: route it nowhere (no device filter can match the sink topic)
      packet.topic = sinkTopic(ctx.instanceId!);
      packet.retain = false;
      return undefined;
    }
    const parent = parentOf(topic);
    if (!index.hasTopic(ctx.instanceId!, parent)) return `parent topic ${parent} does not exist`;
    if (!ctx.principal!.mayPublish(topic, parent)) return 'no publish right on the topic';
    // P2P goes into the target's private space; never retained (it would be replayed on every reconnect).
    const target = p2pTarget(topic);
    const route = ctx.remember('pub', internal, target === undefined ? internal : p2pPrefix(ctx.instanceId!, target) + topic);
    if (route !== internal) {
      packet.topic = route;
      packet.retain = false;
    }
    return undefined;
  }

  // --- SUBSCRIBE ------------------------------------------------------------------------------------

  authorizeSubscribe = (client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void => {
    const ctx = contextOf(client);
    const reason = ctx ? this.checkSubscribe(ctx, sub) : 'no context';
    if (reason && ctx) {
      this.deps.log.debug(`SUBSCRIBE refused: channel=${ctx.channelId} ${ctx.nsId} filter=${JSON.stringify(sub.topic)}: ${reason}`);
      this.deps.registry.bus.emit('denied', { instanceId: ctx.instanceId, clientId: ctx.clientId, channelId: ctx.channelId, action: 'subscribe', reason, time: Date.now() });
      // aedes persists the whole SUBSCRIBE packet's list for each granted filter (denied ones included),
      // so a denied filter is renamed to one that matches nothing before anything is stored.
      sub.topic = deniedFilter(ctx.instanceId ?? 'none');
    } else if (ctx && !reason) {
      this.deps.registry.bus.emit('subscriptions', ctx);
    }
    // Answer after every filter of the packet has been examined (aedes calls us for each in one loop), so
    // the renaming above happens before aedes stores any of them.
    queueMicrotask(() => done(null, reason ? null : sub));
  };

  private checkSubscribe(ctx: ClientContext, sub: Subscription): string | undefined {
    const { index } = this.deps;
    if (!ctx.principal || ctx.closed) return 'not authenticated';
    if (sub.topic === p2pFilter(ctx.instanceId!, ctx.clientId)) return undefined; // own P2P space
    const filter = stripInstance(ctx.instanceId!, sub.topic);
    if (filter === undefined) return 'filter outside the instance';
    if (!isValidTopicFilter(filter)) return 'invalid filter';
    const parent = parentOf(filter);
    if (!index.hasTopic(ctx.instanceId!, parent)) return `parent topic ${parent} does not exist`;
    // `<parent>/p2p/…` is P2P space: a filter may name only one's own ClientId there (pointless, since
    // P2P is delivered without subscription, but harmless). Wildcards like `<parent>/#` are fine: P2P
    // messages live in a separate internal space that no device filter can match.
    const levels = filter.split('/');
    if (levels[1] === 'p2p' && levels[2] !== ctx.clientId) return 'P2P topic of another client';
    if (!ctx.principal.maySubscribe(filter, parent)) return 'no subscribe right on the filter';
    const limit = index.instance(ctx.instanceId!)?.limits.maxSubscriptionsPerClient ?? DEFAULT_LIMITS.maxSubscriptionsPerClient;
    if (!ctx.filters.has(sub.topic)) {
      if (ctx.filters.size >= limit) return `subscription limit of ${limit} reached`;
      ctx.filters.add(sub.topic);
    }
    return undefined;
  }

  /** aedes 'unsubscribe': the filters no longer count against the limit. */
  onUnsubscribe(topics: string[], client: Client): void {
    const ctx = contextOf(client);
    if (!ctx) return;
    for (const t of topics) ctx.filters.delete(t);
    this.deps.registry.bus.emit('subscriptions', ctx);
  }

  // --- FORWARD --------------------------------------------------------------------------------------

  /**
   * Called for every delivery, on a per-subscriber copy of the packet (aedes copies before calling), so
   * stripping the namespace in place is safe. P2P messages are delivered only from the client's own P2P
   * space; other internal spaces (`~…`) never reach a device. Signature-mode rights are re-checked per
   * distinct topic (cached per configuration generation), so a narrowed policy also stops deliveries on
   * existing subscriptions and offline messages queued before the change.
   */
  authorizeForward = (client: Client, packet: PublishPacket): PublishPacket | null => {
    const ctx = contextOf(client);
    if (!ctx?.principal) return null;
    const topic = packet.topic;
    let visible = ctx.decision('fwd', topic, this.deps.index.generation);
    if (visible === undefined) visible = ctx.remember('fwd', topic, this.visibleTopic(ctx, topic));
    if (visible === null) return null;
    packet.topic = visible;
    return packet;
  };

  /** The device-visible topic this client may receive an internal topic as, or null (cached per topic by authorizeForward). */
  private visibleTopic(ctx: ClientContext, topic: string): string | null {
    if (topic.startsWith(ctx.p2pPrefix)) return topic.slice(ctx.p2pPrefix.length);
    let visible: string;
    if (topic.startsWith(ctx.prefix)) {
      visible = topic.slice(ctx.prefix.length);
      if (visible.charCodeAt(0) === 0x7e /* ~ */) return null;
    } else {
      // Offline messages whose topic a persistence stored after delivery stripped it: they sit in this
      // client's own queue (keyed by the namespaced ClientId), so they are this instance's already.
      if (topic.charCodeAt(0) === 0x7e || topic.startsWith('$')) return null;
      visible = topic;
    }
    const parent = parentOf(visible);
    const ok = this.deps.index.hasTopic(ctx.instanceId!, parent) && p2pTarget(visible) === undefined && ctx.principal!.maySubscribe(visible, parent);
    return ok ? visible : null;
  }

  // --- live configuration ---------------------------------------------------------------------------

  /**
   * Re-checks live connections after a configuration change and closes the ones that no longer hold:
   * instance deleted, group deleted, credentials disabled/deleted/rotated/without rights, or a
   * subscription on a parent topic that was deleted.
   */
  revalidate(filter: (ctx: ClientContext) => boolean): number {
    const { index } = this.deps;
    const doomed: [ClientContext, string][] = [];
    for (const ctx of this.deps.registry.contexts()) {
      if (!filter(ctx)) continue;
      const inst = ctx.instanceId!;
      let reason: string | undefined;
      if (!index.instance(inst)) reason = 'instance deleted';
      else if (!index.hasGroup(inst, ctx.groupId)) reason = `GroupId ${ctx.groupId} deleted`;
      else if (!ctx.principal!.stillValid()) reason = `${ctx.principal!.mode} credentials ${ctx.principal!.keyId} no longer valid`;
      else {
        for (const f of ctx.filters) {
          const parent = parentOf(f.slice(ctx.prefix.length));
          if (!index.hasTopic(inst, parent)) {
            reason = `parent topic ${parent} deleted`;
            break;
          }
        }
      }
      if (reason) doomed.push([ctx, reason]);
    }
    for (const [ctx, reason] of doomed) {
      this.deps.log.log(`Disconnecting ${ctx.clientId} of ${ctx.instanceId} (channel ${ctx.channelId}): ${reason}`);
      ctx.client.close();
    }
    return doomed.length;
  }
}

interface InboundPacket {
  cmd: string;
  clientId?: string;
  username?: string;
  will?: { topic?: string };
  topic?: string;
  subscriptions?: { topic: string }[];
  unsubscriptions?: string[];
}

function remoteIp(conn: Connection, req?: IncomingMessage): string {
  const addr = req?.socket?.remoteAddress ?? (conn as { remoteAddress?: string }).remoteAddress ?? '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
