import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import type { AppConfig } from '../../../../libs/config/src/config.js';
import { CONFIG } from '../../../../libs/core/src/tokens.js';

const PURGE_EVERY_MS = 60_000;

/**
 * Remembers accepted SignatureNonces in PostgreSQL (table `rpc_nonces`), so a replay is refused whichever
 * API replica it reaches. "First use" is one atomic statement: the insert wins, or the primary key
 * (AccessKeyId, nonce) already holds a live row and nothing is returned. A row whose expiry has passed
 * counts as free (the purge may not have run yet).
 *
 * The store has its own small pool whose sessions commit asynchronously (`synchronous_commit=off`): a
 * nonce insert is on every signed request, and waiting for its WAL flush halved the throughput of
 * actions that also write (ApplyToken). The cost is bounded: only a PostgreSQL crash within its WAL
 * writer delay (well under a second) can forget a nonce, and a replay would have to land in that instant.
 */
@Injectable()
export class RpcNonceStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RpcNonces');
  private timer?: NodeJS.Timeout;
  private readonly pool: pg.Pool;

  constructor(@Inject(CONFIG) config: AppConfig) {
    this.pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4, options: '-c synchronous_commit=off' });
    this.pool.on('error', (e) => this.logger.warn(`Nonce pool: ${e.message}`));
  }

  /** True when this is the nonce's first use for this key; false for a replay. */
  async use(accessKeyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const { rows } = await this.pool.query(
      `INSERT INTO rpc_nonces (access_key_id, nonce, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE rpc_nonces.expires_at < now()
       RETURNING 1 AS fresh`,
      [accessKeyId, nonce, expiresAt],
    );
    return rows.length === 1;
  }

  /** Deletes nonces whose requests can no longer pass the Timestamp check. Any replica may run it. */
  async purge(): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM rpc_nonces WHERE expires_at < now()');
    return rowCount ?? 0;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.purge().catch((e: unknown) => this.logger.warn(`Purging expired nonces failed: ${e instanceof Error ? e.message : String(e)}`));
    }, PURGE_EVERY_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.pool.end();
  }
}
