import { resolve } from 'node:path';
import { hostname } from 'node:os';

/**
 * The one configuration object. Built once from the environment by `loadConfig`; nothing else in the
 * code base reads `process.env`. A bad value stops start-up with one message listing every problem.
 */
export interface AppConfig {
  /** `postgres://…` of an external PostgreSQL; undefined → embedded PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  /** Embedded database, generated root credentials and master key live here. Absolute. */
  dataDir: string;
  /** Port of the embedded PostgreSQL; 0 = pick a free one. */
  embeddedDbPort: number;
  httpPort: number;
  mqtt: {
    port: number;
    wsPort: number;
    tlsPort?: number;
    wssPort?: number;
    tlsCert?: string;
    tlsKey?: string;
    /** Broker core: `lean` (ours, default) or `aedes` (the reference it is tested against). */
    core: 'lean' | 'aedes';
  };
  /** Host name printed in instance endpoints (`tcp://host:port`). */
  publicHost: string;
  rootAccessKeyId?: string;
  rootAccessKeySecret?: string;
  /** 32-byte key (base64 or hex) encrypting secrets at rest; undefined → generated into `dataDir`. */
  masterKey?: string;
  redisUrl?: string;
  /** Name of this broker worker in session views and traces. */
  nodeId: string;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  port(name: string, fallback: number | undefined): number | undefined {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 0 || n > 65535) {
      this.problems.push(`${name} must be a TCP port number 0-65535 (got "${raw}")`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) throw new Error('protocol');
    } catch {
      this.problems.push(`${name} must be a ${protocols.map((p) => p + '//').join(' or ')} URL`);
      return undefined;
    }
    return raw;
  }
}

export function loadConfig(env: Env = process.env): AppConfig {
  const r = new Reader(env);
  const mqtt = {
    port: r.port('MQTT_PORT', 1883)!,
    wsPort: r.port('MQTT_WS_PORT', 8083)!,
    tlsPort: r.port('MQTT_TLS_PORT', undefined),
    wssPort: r.port('MQTT_WSS_PORT', undefined),
    tlsCert: r.str('MQTT_TLS_CERT'),
    tlsKey: r.str('MQTT_TLS_KEY'),
    core: r.oneOf('BROKER_CORE', ['lean', 'aedes'] as const, 'lean'),
  };
  if ((mqtt.tlsPort !== undefined || mqtt.wssPort !== undefined) && (!mqtt.tlsCert || !mqtt.tlsKey)) {
    r.problems.push('MQTT_TLS_PORT / MQTT_WSS_PORT need both MQTT_TLS_CERT and MQTT_TLS_KEY (PEM file paths)');
  }
  const rootAccessKeyId = r.str('AVIARY_ROOT_ACCESS_KEY_ID');
  const rootAccessKeySecret = r.str('AVIARY_ROOT_ACCESS_KEY_SECRET');
  if ((rootAccessKeyId === undefined) !== (rootAccessKeySecret === undefined)) {
    r.problems.push('AVIARY_ROOT_ACCESS_KEY_ID and AVIARY_ROOT_ACCESS_KEY_SECRET must be set together');
  }
  if (rootAccessKeyId !== undefined && !/^[A-Za-z0-9._-]{8,64}$/.test(rootAccessKeyId)) {
    r.problems.push('AVIARY_ROOT_ACCESS_KEY_ID must be 8-64 characters of [A-Za-z0-9._-]');
  }
  if (rootAccessKeySecret !== undefined && rootAccessKeySecret.length < 16) {
    r.problems.push('AVIARY_ROOT_ACCESS_KEY_SECRET must be at least 16 characters');
  }
  const masterKey = r.str('AVIARY_MASTER_KEY');
  if (masterKey !== undefined && decodeKey(masterKey) === undefined) {
    r.problems.push('AVIARY_MASTER_KEY must be 32 bytes, as 64 hex characters or base64');
  }
  const config: AppConfig = {
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: resolve(r.str('AVIARY_DATA_DIR') ?? './data'),
    embeddedDbPort: r.port('AVIARY_EMBEDDED_DB_PORT', 0)!,
    httpPort: r.port('HTTP_PORT', 8080)!,
    mqtt,
    publicHost: r.str('AVIARY_PUBLIC_HOST') ?? 'localhost',
    rootAccessKeyId,
    rootAccessKeySecret,
    masterKey,
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    nodeId: r.str('AVIARY_NODE_ID') ?? `${hostname()}-${process.pid}`,
    logLevel: r.oneOf('LOG_LEVEL', ['error', 'warn', 'log', 'debug'] as const, 'log'),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** Decodes a 32-byte key given as hex or base64; undefined when it is neither. */
export function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'base64');
  return b.length === 32 ? b : undefined;
}
