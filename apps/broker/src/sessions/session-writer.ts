import type { DataSource } from 'typeorm';
import { NODE_HEARTBEAT_MS } from '../../../../libs/core/src/sessions/broker-node.entity.js';
import type { BrokerLogger } from '../log.js';
import type { SessionEvent, SessionRegistry } from './session-registry.js';

interface Row {
  instanceId: string;
  clientId: string;
  online: boolean;
  channelId: string;
  clientIp: string;
  connectedAt: Date;
  disconnectedAt: Date | null;
  subscriptions: string[];
  updatedAt: Date;
}

const FLUSH_MS = 200;

const UPSERT = `
INSERT INTO mqtt_sessions (instance_id, client_id, online, channel_id, client_ip, node_id, connected_at, disconnected_at, subscriptions, updated_at)
SELECT i, c, o, ch, ip, $6, ca, da, s, ua
  FROM unnest($1::varchar[], $2::varchar[], $3::bool[], $4::varchar[], $5::varchar[], $7::timestamptz[], $8::timestamptz[], $9::jsonb[], $10::timestamptz[])
    AS t(i, c, o, ch, ip, ca, da, s, ua)
ON CONFLICT (instance_id, client_id) DO UPDATE SET
  online = EXCLUDED.online, channel_id = EXCLUDED.channel_id, client_ip = EXCLUDED.client_ip, node_id = EXCLUDED.node_id,
  connected_at = EXCLUDED.connected_at, disconnected_at = EXCLUDED.disconnected_at,
  subscriptions = EXCLUDED.subscriptions, updated_at = EXCLUDED.updated_at
-- an "offline" row only wins over the connection it describes: with a ClientId taken over (possibly on
-- another worker), the old channel's disconnect must not mark the new one offline
WHERE EXCLUDED.online OR mqtt_sessions.channel_id = EXCLUDED.channel_id`;

/**
 * Mirrors the session registry into `mqtt_sessions` for the session APIs, off the hot path: events only
 * mark a session dirty; every 200 ms one multi-row upsert writes the latest state of each dirty session.
 * If the database is unreachable the dirty set is kept (one entry per session, so it stays bounded) and
 * retried on the next tick.
 */
export class SessionWriter {
  private readonly dirty = new Map<string, Row>();
  private readonly subscriptions = new Map<string, string[]>();
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly ds: DataSource,
    private readonly registry: SessionRegistry,
    private readonly nodeId: string,
    private readonly log: BrokerLogger,
  ) {}

  async start(): Promise<void> {
    // Whatever this worker held before a crash is not online any more.
    await this.ds.query(`UPDATE mqtt_sessions SET online = false, disconnected_at = now(), updated_at = now() WHERE node_id = $1 AND online`, [this.nodeId]);
    this.registry.bus.on('session', (e) => this.onSession(e));
    this.registry.bus.on('subscriptions', (ctx) => {
      if (!ctx.registered) return;
      const subs = [...ctx.filters].map((f) => f.slice(ctx.prefix.length));
      this.subscriptions.set(ctx.nsId, subs);
      const row = this.dirty.get(ctx.nsId);
      if (row) row.subscriptions = subs;
      else if (ctx.announced) this.mark(ctx.nsId, { instanceId: ctx.instanceId!, clientId: ctx.clientId, online: true, channelId: ctx.channelId, clientIp: ctx.clientIp, connectedAt: new Date(ctx.connectedAt), disconnectedAt: null, subscriptions: subs, updatedAt: new Date() });
    });
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
    // Liveness for the session APIs: rows of a worker whose heartbeat is stale are reported offline.
    await this.beat(true);
    this.heartbeat = setInterval(() => void this.beat(false), NODE_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private async beat(starting: boolean): Promise<void> {
    await this.ds
      .query(
        `INSERT INTO broker_nodes (node_id, started_at, last_seen_at) VALUES ($1, now(), now())
         ON CONFLICT (node_id) DO UPDATE SET last_seen_at = now()${starting ? ', started_at = now()' : ''}`,
        [this.nodeId],
      )
      .catch((e: Error) => this.log.warn(`Node heartbeat failed: ${e.message}`));
  }

  private onSession(e: SessionEvent): void {
    const key = `${e.instanceId}/${e.clientId}`;
    if (e.eventType === 'connect') {
      const ctx = this.registry.get(key);
      const subs = ctx ? [...ctx.filters].map((f) => f.slice(ctx.prefix.length)) : [];
      this.subscriptions.set(key, subs);
      this.mark(key, { instanceId: e.instanceId, clientId: e.clientId, online: true, channelId: e.channelId, clientIp: e.clientIp, connectedAt: new Date(e.time), disconnectedAt: null, subscriptions: subs, updatedAt: new Date(e.time) });
      return;
    }
    const current = this.registry.get(key);
    if (current && current.channelId !== e.channelId) return; // taken over: the new connection's row stands
    const prev = this.dirty.get(key);
    this.mark(key, {
      instanceId: e.instanceId,
      clientId: e.clientId,
      online: false,
      channelId: e.channelId,
      clientIp: e.clientIp,
      connectedAt: prev?.channelId === e.channelId ? prev.connectedAt : new Date(e.time),
      disconnectedAt: new Date(e.time),
      subscriptions: this.subscriptions.get(key) ?? [],
      updatedAt: new Date(e.time),
    });
    this.subscriptions.delete(key);
  }

  private mark(key: string, row: Row): void {
    this.dirty.set(key, row);
  }

  /** Writes the dirty sessions now (also used by tests and on shutdown). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.dirty.size === 0) return Promise.resolve();
    const rows = [...this.dirty.entries()];
    this.dirty.clear();
    this.flushing = this.write(rows.map(([, r]) => r))
      .catch((e: Error) => {
        this.log.warn(`Session table write failed (${e.message}); retrying`);
        for (const [k, r] of rows) if (!this.dirty.has(k)) this.dirty.set(k, r);
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  private async write(rows: Row[]): Promise<void> {
    await this.ds.query(UPSERT, [
      rows.map((r) => r.instanceId),
      rows.map((r) => r.clientId),
      rows.map((r) => r.online),
      rows.map((r) => r.channelId),
      rows.map((r) => r.clientIp),
      this.nodeId,
      rows.map((r) => r.connectedAt.toISOString()),
      rows.map((r) => r.disconnectedAt?.toISOString() ?? null),
      rows.map((r) => JSON.stringify(r.subscriptions)),
      rows.map((r) => r.updatedAt.toISOString()),
    ]);
  }

  /** Rows of a deleted instance go with it (the table has no foreign key: writes must never fail on one). */
  async forgetInstance(instanceId: string): Promise<void> {
    for (const [k, r] of this.dirty) if (r.instanceId === instanceId) this.dirty.delete(k);
    await this.ds.query(`DELETE FROM mqtt_sessions WHERE instance_id = $1`, [instanceId]);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    await this.flush();
    // A clean stop leaves no node behind: its sessions were just written offline.
    await this.ds.query(`DELETE FROM broker_nodes WHERE node_id = $1`, [this.nodeId]).catch(() => undefined);
  }
}
