import { Readable } from 'node:stream';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import pg from 'pg';
import { DurableClients } from './durable-clients.js';
import { type AnyPacket, decodePacket, encodePacket } from './packet-codec.js';
import { type OutgoingRow, WriteQueue } from './write-queue.js';

const Packet = MemoryPersistence.Packet;

/** Offline messages are kept 3 days, like Alibaba's MQTT service. */
export const DEFAULT_MESSAGE_EXPIRY_MS = 3 * 24 * 3600 * 1000;
export const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** Rows read per query when streaming an offline queue or the wills. */
const PAGE_SIZE = 200;

export interface PgPersistenceOptions {
  /** PostgreSQL to connect to; the pool is created here and ended by `destroy()`. */
  connectionString?: string;
  /** Or a pool owned by the caller (not ended by `destroy()`). */
  pool?: pg.Pool;
  /** Offline (outgoing) and unreleased QoS 2 (incoming) packets older than this are dropped. */
  messageExpiryMs?: number;
  /** How often expired rows are deleted; 0 disables the timer (`sweep()` can still be called). */
  sweepIntervalMs?: number;
  /** Errors that have no caller to go to (background sweep, idle pool connections). */
  onError?: (err: Error) => void;
}

/** The part of the aedes broker the persistence uses. */
export interface PersistenceBroker {
  id: string;
  counter: number;
}

type Client = { id: string };
type Subscription = { topic: string; qos: number; rh?: unknown; rap?: unknown; nl?: unknown; subscriptionIdentifier?: unknown };

/**
 * aedes persistence (aedes 1.2 / aedes-persistence 11 async API) on PostgreSQL.
 *
 * - Subscriptions and retained messages live in aedes-persistence's own in-memory implementation (a
 *   QlobberSub topic index), loaded at `setup()` and written through to PostgreSQL, so the publish path
 *   (`subscriptionsByTopic`, retained look-ups on SUBSCRIBE) never waits for the database.
 * - Offline queues, unreleased inbound QoS 2 packets and wills are per client and off the fan-out path:
 *   they live only in PostgreSQL.
 * - Writes are applied in call order and group-committed (write-queue.ts). A call resolves once its write
 *   is committed, so what aedes was told is stored survives `kill -9`.
 * - Which clients have per-client rows is known in memory (durable-clients.ts, loaded at `setup()`), so a
 *   client that never stored anything — every clean-session device — costs no database round trip: not on
 *   CONNECT (cleanSubscriptions, delWill, cleanIncoming, outgoingStream), not per PUBACK, not on close.
 * - The semantics (which row an update hits, what comes back) follow the memory implementation, which is
 *   the reference the upstream abstract suite checks.
 */
export class PgPersistence {
  private readonly memory = new MemoryPersistence();
  private readonly clients = new DurableClients();
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly writes: WriteQueue;
  private readonly expiryMs: number;
  private readonly sweepIntervalMs: number;
  private readonly onError: (err: Error) => void;
  private sweepTimer: NodeJS.Timeout | undefined;
  private destroyed = false;
  private _broker: PersistenceBroker | undefined;

  constructor(opts: PgPersistenceOptions) {
    this.expiryMs = opts.messageExpiryMs ?? DEFAULT_MESSAGE_EXPIRY_MS;
    this.sweepIntervalMs = opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (!(this.expiryMs > 0) || !(this.sweepIntervalMs >= 0)) {
      throw new Error('messageExpiryMs must be > 0 and sweepIntervalMs >= 0');
    }
    if (opts.pool) {
      this.pool = opts.pool;
      this.ownsPool = false;
    } else if (opts.connectionString) {
      this.pool = new pg.Pool({ connectionString: opts.connectionString, max: 4 });
      this.ownsPool = true;
    } else {
      throw new Error('PgPersistence needs a connectionString or a pool');
    }
    this.onError = opts.onError ?? (() => undefined);
    // An idle pooled connection that dies emits 'error' on the pool; unhandled it would kill the process.
    if (this.ownsPool) this.pool.on('error', (err) => this.onError(err));
    this.writes = new WriteQueue(this.pool);
  }

  /** The aedes broker (the abstract tests read its id through this). */
  get broker(): PersistenceBroker | undefined {
    return this._broker;
  }

  async setup(broker: PersistenceBroker): Promise<void> {
    this._broker = broker;
    await this.memory.setup(broker);

    const subs = await this.pool.query<{ client_id: string; topic: string; qos: number; options: Record<string, unknown> }>(
      'SELECT client_id, topic, qos, options FROM mqtt_subscriptions ORDER BY client_id, created_at, topic',
    );
    let current: string | undefined;
    let batch: Subscription[] = [];
    for (const row of subs.rows) {
      if (row.client_id !== current) {
        if (current !== undefined) await this.memory.addSubscriptions({ id: current }, batch);
        current = row.client_id;
        batch = [];
      }
      batch.push({ topic: row.topic, qos: row.qos, ...row.options });
    }
    if (current !== undefined) await this.memory.addSubscriptions({ id: current }, batch);
    for (const row of subs.rows) this.clients.add('subscriptions', row.client_id);
    for (const [kind, table] of [
      ['outgoing', 'mqtt_outgoing'],
      ['incoming', 'mqtt_incoming'],
      ['will', 'mqtt_wills'],
    ] as const) {
      const owners = await this.pool.query<{ client_id: string }>(`SELECT DISTINCT client_id FROM ${table}`);
      for (const row of owners.rows) this.clients.add(kind, row.client_id);
    }

    const retained = await this.pool.query<{ header: Record<string, unknown>; payload: Buffer | null }>(
      'SELECT header, payload FROM mqtt_retained ORDER BY topic',
    );
    for (const row of retained.rows) await this.memory.storeRetained(decodePacket(row.header, row.payload));

    // aedes restarts its packet counter at 0; with a fixed broker id, queued packets of the previous run
    // would share (brokerId, brokerCounter) with new ones and outgoingUpdate could pick the wrong row.
    const counter = await this.pool.query<{ max: string | null }>(
      'SELECT max(broker_counter)::text AS max FROM mqtt_outgoing WHERE broker_id = $1',
      [broker.id],
    );
    const max = Number(counter.rows[0]?.max ?? 0);
    if (max > broker.counter) broker.counter = max;

    await this.sweep();
    if (this.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => {
        this.sweep().catch((err: Error) => this.onError(err));
      }, this.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  /** Deletes offline and inbound QoS 2 packets older than the expiry; returns how many. */
  async sweep(): Promise<{ outgoing: number; incoming: number }> {
    const cutoff = `now() - ($1::double precision * interval '1 millisecond')`;
    const outgoing = await this.pool.query(`DELETE FROM mqtt_outgoing WHERE created_at < ${cutoff}`, [this.expiryMs]);
    const incoming = await this.pool.query(`DELETE FROM mqtt_incoming WHERE created_at < ${cutoff}`, [this.expiryMs]);
    return { outgoing: outgoing.rowCount ?? 0, incoming: incoming.rowCount ?? 0 };
  }

  // ---------------------------------------------------------------- retained (memory + write-through)

  async storeRetained(packet: AnyPacket): Promise<void> {
    // Encode now: the caller may reuse the packet object once we return.
    const topic = packet.topic as string;
    const remove = !packet.payload || packet.payload.length === 0;
    const { header, payload } = encodePacket(packet);
    const memory = this.memory.storeRetained(packet);
    const db = this.writes.run((db) =>
      remove
        ? db.query('DELETE FROM mqtt_retained WHERE topic = $1', [topic])
        : db.query(
            `INSERT INTO mqtt_retained (topic, header, payload) VALUES ($1, $2::jsonb, $3)
             ON CONFLICT (topic) DO UPDATE SET header = EXCLUDED.header, payload = EXCLUDED.payload, updated_at = now()`,
            [topic, JSON.stringify(header), payload],
          ),
    );
    await Promise.all([memory, db]);
  }

  createRetainedStream(pattern: string): Readable {
    return this.memory.createRetainedStream(pattern);
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return this.memory.createRetainedStreamCombi(patterns);
  }

  // ---------------------------------------------------------------- subscriptions (memory + write-through)

  async addSubscriptions(client: Client, subs: Subscription[]): Promise<void> {
    // Within one call the last entry for a topic wins, as in memory (and one upsert may not hit a row twice).
    const byTopic = new Map<string, Subscription>();
    for (const sub of subs) byTopic.set(sub.topic, sub);
    const topics: string[] = [];
    const qos: number[] = [];
    const options: string[] = [];
    for (const sub of byTopic.values()) {
      topics.push(sub.topic);
      qos.push(sub.qos);
      options.push(JSON.stringify({ rh: sub.rh, rap: sub.rap, nl: sub.nl, subscriptionIdentifier: sub.subscriptionIdentifier }));
    }
    this.clients.add('subscriptions', client.id);
    const memory = this.memory.addSubscriptions(client, subs);
    const db = this.write(client.id, (db) =>
      db.query(
        `INSERT INTO mqtt_subscriptions (client_id, topic, qos, options)
         SELECT $1, t, q, o::jsonb FROM unnest($2::text[], $3::smallint[], $4::text[]) AS u(t, q, o)
         ON CONFLICT (client_id, topic) DO UPDATE SET qos = EXCLUDED.qos, options = EXCLUDED.options`,
        [client.id, topics, qos, options],
      ),
    );
    await Promise.all([memory, db]);
  }

  async removeSubscriptions(client: Client, topics: string[]): Promise<void> {
    if (!this.clients.has('subscriptions', client.id)) return this.skipped(client.id);
    const memory = this.memory.removeSubscriptions(client, topics);
    const db = this.write(client.id, (db) =>
      db.query('DELETE FROM mqtt_subscriptions WHERE client_id = $1 AND topic = ANY($2::text[])', [client.id, [...topics]]),
    );
    await Promise.all([memory, db]);
  }

  async cleanSubscriptions(client: Client): Promise<void> {
    // Every clean-session CONNECT calls this: for a client that never subscribed durably, nothing to do.
    if (!this.clients.has('subscriptions', client.id)) return this.skipped(client.id);
    this.clients.delete('subscriptions', client.id);
    const memory = this.memory.cleanSubscriptions(client);
    const db = this.write(client.id, (db) => db.query('DELETE FROM mqtt_subscriptions WHERE client_id = $1', [client.id]));
    await Promise.all([memory, db]);
  }

  subscriptionsByClient(client: Client): Promise<AnyPacket[]> {
    return this.memory.subscriptionsByClient(client);
  }

  countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return this.memory.countOffline();
  }

  /** The publish hot path: answered from memory only. */
  subscriptionsByTopic(topic: string): Promise<AnyPacket[]> {
    return this.memory.subscriptionsByTopic(topic);
  }

  getClientList(topic: string): Readable {
    return this.memory.getClientList(topic);
  }

  // ---------------------------------------------------------------- offline queue (PostgreSQL)

  async outgoingEnqueue(sub: { clientId: string }, packet: AnyPacket): Promise<void> {
    await this.outgoingEnqueueCombi([sub], packet);
  }

  async outgoingEnqueueCombi(subs: { clientId: string }[], packet: AnyPacket): Promise<void> {
    // The common case on a QoS 1 publish: nobody durable is subscribed; no database work at all.
    if (!subs || subs.length === 0) return;
    const queued = new Packet(packet) as AnyPacket;
    const { header, payload } = encodePacket(queued);
    const json = JSON.stringify(header);
    for (const sub of subs) this.clients.add('outgoing', sub.clientId);
    const rows: OutgoingRow[] = subs.map((sub) => ({
      clientId: sub.clientId,
      brokerId: queued.brokerId ?? null,
      brokerCounter: queued.brokerCounter ?? null,
      messageId: queued.messageId ?? null,
      header: json,
      payload,
    }));
    const write = this.writes.insertOutgoing(rows);
    for (const sub of subs) void this.clients.track(sub.clientId, write);
    await write;
  }

  /**
   * Gives the queued publish its messageId, or replaces it (PUBREC → PUBREL). The row is the first of the
   * client's queue that has the same (brokerId, brokerCounter), or another brokerId and the same
   * messageId — the memory implementation's loop, as one statement.
   */
  async outgoingUpdate(client: Client, packet: AnyPacket): Promise<void> {
    if (!this.clients.has('outgoing', client.id)) throw new Error('no such packet');
    const { header, payload } = encodePacket(packet);
    const brokerId = packet.brokerId ?? null;
    const brokerCounter = packet.brokerCounter ?? null;
    const messageId = packet.messageId ?? null;
    const updated = await this.write(client.id, (db) =>
      db.query({
        // Named: prepared once per connection; this and the clear below run for every durable QoS ≥ 1 delivery.
        name: 'mqtt-outgoing-update',
        text: `WITH target AS (
           SELECT id, broker_id IS NOT DISTINCT FROM $2::text AS same_broker
             FROM mqtt_outgoing
            WHERE client_id = $1
              AND ((broker_id IS NOT DISTINCT FROM $2::text AND broker_counter IS NOT DISTINCT FROM $3::bigint)
                OR (broker_id IS DISTINCT FROM $2::text AND message_id IS NOT DISTINCT FROM $4::int))
            ORDER BY id
            LIMIT 1)
         UPDATE mqtt_outgoing o SET
           message_id = $4::int,
           broker_id = CASE WHEN t.same_broker THEN o.broker_id ELSE $2::text END,
           broker_counter = CASE WHEN t.same_broker THEN o.broker_counter ELSE $3::bigint END,
           header = CASE WHEN t.same_broker THEN o.header || '{"messageId": null}'::jsonb ELSE $5::jsonb END,
           payload = CASE WHEN t.same_broker THEN o.payload ELSE $6::bytea END
          FROM target t
         WHERE o.id = t.id`,
        values: [client.id, brokerId, brokerCounter, messageId, JSON.stringify(header), payload],
      }),
    );
    if (updated.rowCount === 0) throw new Error('no such packet');
  }

  /** Removes the first queued packet with this messageId (PUBACK / PUBCOMP) and returns it. */
  async outgoingClearMessageId(client: Client, packet: AnyPacket): Promise<AnyPacket | undefined> {
    // aedes calls this on every PUBACK, also from clean-session subscribers, which have no queue.
    if (!this.clients.has('outgoing', client.id)) return undefined;
    const p: AnyPacket = typeof packet === 'object' && packet !== null ? packet : {};
    const messageId = p.messageId ?? null;
    // A packet without messageId was never sent: identify it by (brokerId, brokerCounter) instead.
    const brokerId = p.brokerId ?? null;
    const brokerCounter = p.brokerCounter ?? null;
    const deleted = await this.write(client.id, (db) =>
      db.query<OutgoingDbRow>({
        name: 'mqtt-outgoing-clear',
        text: `DELETE FROM mqtt_outgoing WHERE id = (
           SELECT id FROM mqtt_outgoing
            WHERE client_id = $1 AND message_id IS NOT DISTINCT FROM $2::int
              AND ($2::int IS NOT NULL OR (broker_id IS NOT DISTINCT FROM $3::text AND broker_counter IS NOT DISTINCT FROM $4::bigint))
            ORDER BY id LIMIT 1)
         RETURNING message_id, header, payload`,
        values: [client.id, messageId, brokerId, brokerCounter],
      }),
    );
    const row = deleted.rows[0];
    return row ? decodeOutgoing(row) : undefined;
  }

  /**
   * Known from memory: the client has no queued message (so a broker need not stream its empty queue).
   * False means "maybe". An extension of aedes-persistence's interface, used by the lean core.
   */
  outgoingEmpty(client: Client): boolean {
    return !this.clients.has('outgoing', client.id);
  }

  /** The client's queue as it is now (later enqueues are delivered live), oldest first. */
  outgoingStream(client: Client): Readable {
    // Every CONNECT streams the queue; most clients never had one.
    if (!this.clients.has('outgoing', client.id)) return Readable.from([]);
    return Readable.from(this.outgoingRows(client.id));
  }

  private async *outgoingRows(clientId: string): AsyncGenerator<AnyPacket> {
    // Read from the pool, not through the write queue: with no write of this client in flight, what is
    // committed is all there is; an enqueue issued meanwhile bumps the epoch (see DurableClients).
    const settledBefore = !this.clients.hasPending(clientId);
    const epoch = this.clients.outgoingEpochOf(clientId);
    const snapshot = await this.pool.query<{ max: string | null }>(
      'SELECT max(id)::text AS max FROM mqtt_outgoing WHERE client_id = $1',
      [clientId],
    );
    const last = snapshot.rows[0]?.max;
    if (last === null || last === undefined) {
      // Emptied (acknowledged, cleared by a clean session, expired): the next CONNECT needs no query.
      if (settledBefore) this.clients.forgetOutgoingIfUnchanged(clientId, epoch);
      return;
    }
    let after = '0';
    for (;;) {
      const page = await this.pool.query<OutgoingDbRow & { row_id: string }>(
        `SELECT id::text AS row_id, message_id, header, payload FROM mqtt_outgoing
          WHERE client_id = $1 AND id > $2::bigint AND id <= $3::bigint
            AND created_at >= now() - ($4::double precision * interval '1 millisecond')
          ORDER BY id LIMIT ${PAGE_SIZE}`,
        [clientId, after, last, this.expiryMs],
      );
      for (const row of page.rows) yield decodeOutgoing(row);
      if (page.rows.length < PAGE_SIZE) return;
      after = page.rows[page.rows.length - 1].row_id;
    }
  }

  // ---------------------------------------------------------------- inbound QoS 2 (PostgreSQL)

  async incomingStorePacket(client: Client, packet: AnyPacket): Promise<void> {
    if (!Number.isInteger(packet.messageId)) throw new Error('incoming packet has no messageId');
    const stored = new Packet(packet) as AnyPacket;
    stored.messageId = packet.messageId;
    const { header, payload } = encodePacket(stored);
    this.clients.add('incoming', client.id);
    await this.write(client.id, (db) =>
      db.query(
        `INSERT INTO mqtt_incoming (client_id, message_id, header, payload) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (client_id, message_id)
         DO UPDATE SET header = EXCLUDED.header, payload = EXCLUDED.payload, created_at = now()`,
        [client.id, packet.messageId, JSON.stringify(header), payload],
      ),
    );
  }

  async incomingGetPacket(client: Client, packet: AnyPacket): Promise<AnyPacket> {
    if (!this.clients.has('incoming', client.id)) throw new Error('no such packet');
    const found = await this.pool.query<{ header: Record<string, unknown>; payload: Buffer | null }>(
      'SELECT header, payload FROM mqtt_incoming WHERE client_id = $1 AND message_id = $2',
      [client.id, packet.messageId ?? null],
    );
    const row = found.rows[0];
    if (!row) throw new Error('no such packet');
    return decodePacket(row.header, row.payload);
  }

  async incomingDelPacket(client: Client, packet: AnyPacket): Promise<void> {
    const messageId = packet.messageId ?? null;
    if (!this.clients.has('incoming', client.id)) throw new Error('no such packet');
    const deleted = await this.write(client.id, (db) =>
      db.query('DELETE FROM mqtt_incoming WHERE client_id = $1 AND message_id = $2', [client.id, messageId]),
    );
    if (deleted.rowCount === 0) throw new Error('no such packet');
  }

  async cleanIncoming(client: Client): Promise<void> {
    // Called on every clean-session CONNECT and close; QoS 2 publishers are rare.
    if (!this.clients.has('incoming', client.id)) return this.skipped(client.id);
    this.clients.delete('incoming', client.id);
    await this.write(client.id, (db) => db.query('DELETE FROM mqtt_incoming WHERE client_id = $1', [client.id]));
  }

  // ---------------------------------------------------------------- wills (PostgreSQL)

  async putWill(client: Client, packet: AnyPacket): Promise<void> {
    const brokerId = this.requireBroker().id;
    packet.brokerId = brokerId;
    packet.clientId = client.id;
    const { header, payload } = encodePacket(packet);
    this.clients.add('will', client.id);
    await this.write(client.id, (db) =>
      db.query(
        `INSERT INTO mqtt_wills (client_id, broker_id, header, payload) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (client_id)
         DO UPDATE SET broker_id = EXCLUDED.broker_id, header = EXCLUDED.header, payload = EXCLUDED.payload, created_at = now()`,
        [client.id, brokerId, JSON.stringify(header), payload],
      ),
    );
  }

  async getWill(client: Client): Promise<AnyPacket | undefined> {
    if (!this.clients.has('will', client.id)) return undefined;
    const found = await this.pool.query<{ header: Record<string, unknown>; payload: Buffer | null }>(
      'SELECT header, payload FROM mqtt_wills WHERE client_id = $1',
      [client.id],
    );
    const row = found.rows[0];
    return row ? decodePacket(row.header, row.payload) : undefined;
  }

  async delWill(client: Client): Promise<AnyPacket | undefined> {
    // Every CONNECT deletes the previous will; most clients never had one.
    if (!this.clients.has('will', client.id)) {
      await this.skipped(client.id);
      return undefined;
    }
    this.clients.delete('will', client.id);
    const deleted = await this.write(client.id, (db) =>
      db.query<{ header: Record<string, unknown>; payload: Buffer | null }>(
        'DELETE FROM mqtt_wills WHERE client_id = $1 RETURNING header, payload',
        [client.id],
      ),
    );
    const row = deleted.rows[0];
    return row ? decodePacket(row.header, row.payload) : undefined;
  }

  /** Wills of brokers not in `brokers` (aedes passes the live ones), i.e. of crashed brokers. */
  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return Readable.from(this.willRows(Object.keys(brokers)));
  }

  private async *willRows(liveBrokers: string[]): AsyncGenerator<AnyPacket> {
    let after = '';
    for (;;) {
      const page = await this.pool.query<{ client_id: string; header: Record<string, unknown>; payload: Buffer | null }>(
        `SELECT client_id, header, payload FROM mqtt_wills
          WHERE client_id > $1 AND NOT (broker_id = ANY($2::text[]))
          ORDER BY client_id LIMIT ${PAGE_SIZE}`,
        [after, liveBrokers],
      );
      for (const row of page.rows) yield decodePacket(row.header, row.payload);
      if (page.rows.length < PAGE_SIZE) return;
      after = page.rows[page.rows.length - 1].client_id;
    }
  }

  // ---------------------------------------------------------------- lifecycle

  async destroy(): Promise<void> {
    if (this.destroyed) throw new Error('destroyed called twice!');
    this.destroyed = true;
    clearInterval(this.sweepTimer);
    try {
      await this.writes.close();
      await this.memory.destroy();
    } finally {
      if (this.ownsPool) await this.pool.end();
    }
  }

  /** A write of one client's rows, through the ordered queue, tracked until committed. */
  private write<T>(clientId: string, fn: (db: pg.ClientBase) => Promise<T>): Promise<T> {
    return this.clients.track(clientId, this.writes.run(fn));
  }

  /** What a write that has nothing to do returns: done once the client's earlier writes are committed. */
  private async skipped(clientId: string): Promise<void> {
    if (this.destroyed) throw new Error('persistence destroyed');
    await this.clients.settled(clientId);
  }

  /** How many clients are known to have rows, per table (tests, metrics). */
  durableClientCounts(): ReturnType<DurableClients['sizes']> {
    return this.clients.sizes();
  }

  private requireBroker(): PersistenceBroker {
    if (!this._broker) throw new Error('persistence used before setup()');
    return this._broker;
  }
}

interface OutgoingDbRow {
  message_id: number | null;
  header: Record<string, unknown>;
  payload: Buffer | null;
}

/** The messageId column is the truth (it is updated without rewriting the header). */
function decodeOutgoing(row: OutgoingDbRow): AnyPacket {
  const packet = decodePacket(row.header, row.payload);
  if ('messageId' in packet) packet.messageId = row.message_id ?? undefined;
  return packet;
}
