import type { DataSource } from 'typeorm';
import { COMMANDS_CHANNEL } from '../../../../libs/database/src/change-notify.js';
import { PgListener } from '../../../../libs/database/src/pg-listener.js';

/** What the consumer needs from the running broker. */
export interface CommandTarget {
  publish(instanceId: string, topic: string, payload: Buffer, opts: { qos: 0 | 1 | 2 }): Promise<void>;
  /** Closes this worker's connection of `clientId` in the instance; false when it has none. */
  disconnect(instanceId: string, clientId: string): boolean;
}

interface CommandRow {
  id: string;
  type: string;
  instance_id: string;
  topic: string | null;
  client_id: string | null;
  payload: Buffer | null;
  qos: number;
}

/** Publish commands older than this are not replayed after a reconnect (the caller has long given up). */
const REPLAY_WINDOW = '5 minutes';
/** Executed commands are kept this long (CloseConnection rows are read by every worker), then purged. */
const RETENTION = '1 hour';

/**
 * Executes control-plane commands (SendMessage, CloseConnection) announced on `aviary_commands`.
 * Clustered (REDIS_URL: one shared emitter), a publish is claimed with DELETE … RETURNING, so exactly
 * one worker sends it and the emitter carries it to subscribers on every worker. Not clustered, each
 * worker only reaches its own clients, so every worker publishes it locally. A close is always run by
 * every worker on its own clients.
 */
export class CommandConsumer {
  private readonly listener: PgListener;
  private purgeTimer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  /** Highest command id executed (unclustered mode), so a replay after reconnect skips what ran. */
  private lastId = 0n;

  constructor(
    private readonly ds: DataSource,
    databaseUrl: string,
    private readonly target: CommandTarget,
    private readonly log: { warn(m: string): void },
    private readonly clustered = false,
  ) {
    this.listener = new PgListener({
      url: databaseUrl,
      channels: [COMMANDS_CHANNEL],
      onNotification: (_ch, payload) => this.onNotification(payload),
      onListening: () => this.replayPending(),
      onError: (m) => this.log.warn(`Command ${m}`),
    });
  }

  async start(): Promise<void> {
    await this.listener.start();
    this.purgeTimer = setInterval(() => {
      this.ds.query(`DELETE FROM broker_commands WHERE created_at < now() - interval '${RETENTION}'`).catch((e: Error) => this.log.warn(`Command purge failed: ${e.message}`));
    }, 60_000);
    this.purgeTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.listener.close();
    await this.chain;
  }

  private onNotification(payload: string | undefined): void {
    let msg: { id?: string; type?: string };
    try {
      msg = JSON.parse(payload ?? '') as { id?: string; type?: string };
    } catch {
      return;
    }
    if (typeof msg.id !== 'string') return;
    const id = msg.id;
    // One at a time, in arrival order: publishes from one caller keep their order.
    this.chain = this.chain.then(() => this.execute(id)).catch((e: Error) => this.log.warn(`Command ${id} failed: ${e.message}`));
  }

  private async execute(id: string): Promise<void> {
    if (this.clustered) {
      const claimed = (await this.ds.query(`DELETE FROM broker_commands WHERE id = $1 AND type = 'publish' RETURNING *`, [id])) as [CommandRow[], number] | CommandRow[];
      const rows = Array.isArray(claimed[0]) ? (claimed[0] as CommandRow[]) : (claimed as CommandRow[]);
      if (rows.length > 0) return this.run(rows[0]!);
    }
    const found = (await this.ds.query(`SELECT * FROM broker_commands WHERE id = $1 AND (type = 'close' OR NOT $2)`, [id, this.clustered])) as CommandRow[];
    if (BigInt(id) > this.lastId) this.lastId = BigInt(id);
    if (found.length > 0) await this.run(found[0]!);
  }

  private async run(row: CommandRow): Promise<void> {
    if (row.type === 'publish' && row.topic !== null) {
      await this.target.publish(row.instance_id, row.topic, row.payload ?? Buffer.alloc(0), { qos: row.qos as 0 | 1 | 2 });
    } else if (row.type === 'close' && row.client_id !== null) {
      this.target.disconnect(row.instance_id, row.client_id);
    }
  }

  /**
   * After (re)connecting: publishes missed while away — clustered, those no worker claimed; otherwise
   * those after the last one this worker ran (none at start: a new worker owes nothing to the past).
   */
  private async replayPending(): Promise<void> {
    if (!this.clustered && this.lastId === 0n) {
      const [{ max }] = (await this.ds.query(`SELECT coalesce(max(id), 0)::text AS max FROM broker_commands`)) as { max: string }[];
      this.lastId = BigInt(max!);
      return;
    }
    const ids = (await this.ds.query(
      `SELECT id FROM broker_commands WHERE type = 'publish' AND id > $1 AND created_at > now() - interval '${REPLAY_WINDOW}' ORDER BY id`,
      [this.clustered ? '0' : this.lastId.toString()],
    )) as { id: string }[];
    for (const { id } of ids) this.chain = this.chain.then(() => this.execute(id)).catch((e: Error) => this.log.warn(`Command ${id} failed: ${e.message}`));
    await this.chain;
  }
}
