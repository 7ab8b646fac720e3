import aedesPersistenceRedis from 'aedes-persistence-redis';
import { Redis } from 'ioredis';
import mqemitter from 'mqemitter';
import mqemitterRedis from 'mqemitter-redis';
import type pg from 'pg';
import { DEFAULT_MESSAGE_EXPIRY_MS, PgPersistence } from './pg-persistence.js';

export interface PersistenceConfig {
  /** PostgreSQL URL (single node); ignored when `pool` is given or Redis is used. */
  databaseUrl?: string;
  /** A pool shared with the caller, instead of `databaseUrl`. */
  pool?: pg.Pool;
  /** Set → Redis persistence and emitter (several broker nodes share sessions and messages). */
  redisUrl?: string;
  /** Offline messages older than this are dropped (default 3 days). */
  messageExpiryMs?: number;
  /** PostgreSQL only: how often expired rows are deleted (default 10 min). */
  sweepIntervalMs?: number;
  /** Errors without a caller (background sweep, idle connections). */
  onError?: (err: Error) => void;
}

/**
 * The `persistence` option for `Aedes.createBroker`: aedes-persistence-redis when `redisUrl` is set, else
 * PostgreSQL. The Redis persistence applies the same expiry to offline messages (its `packetTTL`).
 */
export function createPersistence(config: PersistenceConfig): unknown {
  if (config.redisUrl) {
    const ttlSeconds = Math.ceil((config.messageExpiryMs ?? DEFAULT_MESSAGE_EXPIRY_MS) / 1000);
    return aedesPersistenceRedis({
      // The persistence disconnects this connection in destroy().
      conn: new Redis(config.redisUrl),
      packetTTL: () => ttlSeconds,
    });
  }
  return new PgPersistence({
    connectionString: config.databaseUrl,
    pool: config.pool,
    messageExpiryMs: config.messageExpiryMs,
    sweepIntervalMs: config.sweepIntervalMs,
    onError: config.onError,
  });
}

export interface EmitterConfig {
  redisUrl?: string;
  /**
   * mqemitter's in-flight cap. 0 (unlimited) by default: aedes' own default of 100 is what queues,
   * collapses and overflows the stack under fan-in (shared/research/broker-core.md §1.5).
   */
  concurrency?: number;
}

/** The `mq` option for `Aedes.createBroker`: mqemitter in process, or mqemitter-redis across nodes. */
export function createEmitter(config: EmitterConfig): mqemitter.MQEmitter {
  const concurrency = config.concurrency ?? 0;
  if (config.redisUrl) return mqemitterRedis({ connectionString: config.redisUrl, concurrency });
  return mqemitter({ concurrency });
}
