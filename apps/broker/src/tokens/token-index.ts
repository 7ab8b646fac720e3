import { EventEmitter } from 'node:events';
import { IsNull, MoreThan, type DataSource } from 'typeorm';
import type { Clock } from '../../../../libs/common/src/clock.js';
import type { ChangeEvent } from '../../../../libs/database/src/change-notify.js';
import { MqttTokenEntity, type TokenType } from '../../../../libs/core/src/mqtt-tokens/mqtt-token.entity.js';
import type { ConfigIndex, IndexChange } from '../index/config-index.js';
import type { BrokerLogger } from '../log.js';

export const TOKEN_TABLE = 'mqtt_tokens';

/** One ApplyToken row as the broker needs it. The token itself is never known here, only its SHA-256. */
export interface TokenInfo {
  rowId: string;
  hash: string;
  instanceId: string;
  accessKeyId: string;
  /** Topic filters (parent + optional levels, `+`/`#` allowed). */
  resources: readonly string[];
  type: TokenType;
  /** ms since epoch */
  expireAt: number;
  /** ms since epoch, null while not revoked */
  revokedAt: number | null;
}

/**
 * In-memory mirror of `mqtt_tokens`, by token hash, so CONNECT and `$SYS/uploadToken` check tokens without
 * database I/O. It follows the configuration index: the index re-emits `mqtt_tokens` notifications as
 * `other` events (in arrival order), and a `RELOAD` change (initial load, LISTEN reconnected) reloads
 * everything. Each notification re-reads its row by id; our own queue keeps the reads in arrival order.
 *
 * Loaded: tokens neither revoked nor expired at load time. A revoked or expired token stays in memory (marked)
 * until `prune`, so a live connection holding it can be told why it is ended.
 *
 * Emits `changed(hash)` after a row was applied (the lifecycle re-checks the connections holding it) and
 * `reloaded` after a full reload (it re-checks all of them).
 */
export class TokenIndex extends EventEmitter<{ changed: [string]; reloaded: [] }> {
  /** A full load has succeeded at least once. */
  loaded = false;
  private readonly byHash = new Map<string, TokenInfo>();
  private readonly byRow = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly onOther = (ev: ChangeEvent): void => {
    if (ev.table === TOKEN_TABLE) this.enqueue(() => this.apply(ev));
  };
  private readonly onChange = (ch: IndexChange): void => {
    if (ch.op === 'RELOAD') this.enqueue(() => this.reload());
  };

  constructor(
    private readonly ds: DataSource,
    private readonly configIndex: ConfigIndex,
    private readonly clock: Clock,
    private readonly log: BrokerLogger,
  ) {
    super();
  }

  /** Subscribe before `ConfigIndex.start()`: its initial load emits the `RELOAD` that loads the tokens. */
  attach(): void {
    this.configIndex.on('other', this.onOther);
    this.configIndex.on('change', this.onChange);
  }

  detach(): void {
    this.configIndex.off('other', this.onOther);
    this.configIndex.off('change', this.onChange);
  }

  /** Resolves once everything received so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  get(hash: string): TokenInfo | undefined {
    return this.byHash.get(hash);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Forgets tokens expired or revoked before `before` (ms), except those in `keep` (still held). */
  prune(before: number, keep: (hash: string) => boolean): number {
    let n = 0;
    for (const [hash, t] of this.byHash) {
      if ((t.expireAt <= before || (t.revokedAt !== null && t.revokedAt <= before)) && !keep(hash)) {
        this.byHash.delete(hash);
        this.byRow.delete(t.rowId);
        n++;
      }
    }
    return n;
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((e: Error) => this.log.error(`Applying a token change failed: ${e.stack ?? e.message}`));
  }

  private async reload(): Promise<void> {
    const rows = await this.ds.getRepository(MqttTokenEntity).find({ where: { revokedAt: IsNull(), expireAt: MoreThan(new Date(this.clock.now())) } });
    this.byHash.clear();
    this.byRow.clear();
    for (const r of rows) this.put(r);
    this.loaded = true;
    this.log.log(`Token index loaded: ${this.byHash.size} valid tokens`);
    this.emit('reloaded');
  }

  private async apply(ev: ChangeEvent): Promise<void> {
    const row = ev.op === 'DELETE' ? null : await this.ds.getRepository(MqttTokenEntity).findOneBy({ id: ev.id });
    const old = this.byRow.get(ev.id);
    if (old !== undefined) {
      this.byHash.delete(old);
      this.byRow.delete(ev.id);
    }
    if (row) this.put(row);
    const hash = row?.tokenHash ?? old;
    if (hash !== undefined) this.emit('changed', hash);
  }

  private put(r: MqttTokenEntity): void {
    this.byHash.set(r.tokenHash, {
      rowId: r.id,
      hash: r.tokenHash,
      instanceId: r.instanceId,
      accessKeyId: r.accessKeyId,
      resources: [...r.resources],
      type: r.type,
      expireAt: r.expireAt.getTime(),
      revokedAt: r.revokedAt ? r.revokedAt.getTime() : null,
    });
    this.byRow.set(r.id, r.tokenHash);
  }
}
