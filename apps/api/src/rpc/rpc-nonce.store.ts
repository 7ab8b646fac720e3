import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';

const PURGE_EVERY_MS = 60_000;

/**
 * Remembers accepted SignatureNonces in PostgreSQL (table `rpc_nonces`), so a replay is refused whichever
 * API replica it reaches. "First use" is one atomic statement: the insert wins, or the primary key
 * (AccessKeyId, nonce) already holds a live row and nothing is returned. A row whose expiry has passed
 * counts as free (the purge may not have run yet).
 */
@Injectable()
export class RpcNonceStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RpcNonces');
  private timer?: NodeJS.Timeout;

  constructor(private readonly ds: DataSource) {}

  /** True when this is the nonce's first use for this key; false for a replay. */
  async use(accessKeyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
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
    const [, affected] = (await this.ds.query('DELETE FROM rpc_nonces WHERE expires_at < now()')) as [unknown, number];
    return affected ?? 0;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.purge().catch((e: unknown) => this.logger.warn(`Purging expired nonces failed: ${e instanceof Error ? e.message : String(e)}`));
    }, PURGE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
