import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The broker core seam: what Aviary needs from an MQTT broker core, in aedes' own terms (hook
 * signatures, persistence and emitter interfaces, event names), so the two cores — aedes (the reference)
 * and our lean core (core/lean/) — are interchangeable behind `createCore()`.
 */
export type CoreKind = 'lean' | 'aedes';

export const CORE_KINDS: readonly CoreKind[] = ['lean', 'aedes'];

/** A socket or any duplex stream carrying MQTT (WebSocket streams too). */
export type Connection = Duplex;

export interface CorePublishPacket {
  cmd: 'publish';
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  messageId?: number;
  /** Set by the core: which broker published it and its sequence there (aedes-persistence keys on these). */
  brokerId?: string;
  brokerCounter?: number;
}

export interface CoreSubscription {
  topic: string;
  qos: 0 | 1 | 2;
}

/** What hooks may use of a connection; aedes' Client has all of it. */
export interface CoreClient {
  /** ClientId as the core knows it (after `inbound` rewriting); undefined before CONNECT. */
  readonly id: string;
  readonly conn: Connection;
  /** CONNACK sent and not closed. */
  readonly connected: boolean;
  readonly closed: boolean;
  /** Closes the connection (the will is published, as for any connection lost without DISCONNECT). */
  close(done?: () => void): void;
  /**
   * A subscription on behalf of the client, authorized like a SUBSCRIBE, without SUBACK. The lean core sends
   * no retained messages for it (aedes does).
   */
  subscribe(sub: CoreSubscription | CoreSubscription[], done: (err?: Error | null) => void): void;
  /** Writes a server-originated message to this client only, subscribed or not, through authorizeForward (aedes' `Client#publish`). */
  publish(packet: CorePublishPacket, done: (err?: Error | null) => void): void;
}

export type AuthenticateError = Error & { returnCode: 1 | 2 | 3 | 4 | 5 };

export interface CoreHooks {
  authenticate?(client: CoreClient, username: string | undefined, password: Buffer | undefined, done: (err: AuthenticateError | null, ok: boolean | null) => void): void;
  /** `client` is null for wills published after their client is gone. An error closes the connection. */
  authorizePublish?(client: CoreClient | null, packet: CorePublishPacket, done: (err?: Error | null) => void): void;
  /** Answer `null` (or an error) to refuse the filter (SUBACK 0x80), or the (possibly changed) subscription. */
  authorizeSubscribe?(client: CoreClient, sub: CoreSubscription, done: (err: Error | null, sub?: CoreSubscription | null) => void): void;
  /** Per delivery, on a per-subscriber copy: return the packet (possibly changed) to deliver it, null to skip. */
  authorizeForward?(client: CoreClient, packet: CorePublishPacket): CorePublishPacket | null | undefined | void;
  /** After a message was routed. */
  published?(packet: CorePublishPacket, client: CoreClient | null, done: (err?: Error | null) => void): void;
}

export interface CoreOptions extends CoreHooks {
  id?: string;
  /** aedes-persistence-compatible store (async API, aedes ≥ 1.0); default aedes-persistence's in-memory one. */
  persistence?: unknown;
  /** mqemitter-compatible emitter shared by the broker nodes (mqemitter-redis); default: in-process. */
  mq?: unknown;
  /** Packets a client may pipeline before its CONNACK. */
  queueLimit?: number;
  /** A subscriber whose socket has not drained within this many ms is disconnected. */
  drainTimeout?: number;
  /** A connection that has not completed CONNECT within this many ms is closed. */
  connectTimeout?: number;
  maxClientsIdLength?: number;
  /** How often this node announces itself and collects wills of dead nodes (ms). */
  heartbeatInterval?: number;
  /**
   * Renames an inbound packet as it is parsed, before the core looks at it (tenant namespacing): pure
   * renaming, decisions stay in the hooks. Called for CONNECT, PUBLISH, SUBSCRIBE and UNSUBSCRIBE.
   */
  inbound?(client: CoreClient, packet: Record<string, unknown>): void;
  /** Largest packet (remaining length) the client may send; larger ones close the connection before buffering. */
  maxPacketBytes?(client: CoreClient): number;
}

export interface CoreEvents {
  /** Authenticated and registered (before CONNACK). */
  client: [CoreClient];
  /** CONNACK sent, session restored. */
  clientReady: [CoreClient];
  clientDisconnect: [CoreClient];
  unsubscribe: [string[], CoreClient];
  clientError: [CoreClient, Error];
  connectionError: [CoreClient, Error];
}

/** The broker core as Aviary drives it. */
export interface BrokerCore {
  readonly id: string;
  readonly kind: CoreKind;
  /** Takes a connection; the client is returned before any of its packets is read. */
  handle(conn: Connection, req?: IncomingMessage): CoreClient;
  /** Server-side publish (rules, SendMessage, wills): stored, then routed to every matching subscriber. */
  publish(packet: CorePublishPacket, done: (err?: Error | null) => void): void;
  /** QoS 0 deliveries shed for subscribers that could not keep up (each core has its own policy). */
  readonly shedCount: number;
  /** True if the client closed with DISCONNECT (a clean end) rather than losing its connection. */
  disconnectedGracefully(client: CoreClient): boolean;
  on<E extends keyof CoreEvents>(event: E, listener: (...args: CoreEvents[E]) => void): unknown;
  /** Closes every client and the emitter (not the persistence: its owner destroys it). */
  close(done?: () => void): void;
}

export type { IncomingMessage };
