/**
 * Entry point of a Node broker target (spawned by procs.ts `Target.node`): bare aedes with given options,
 * our bare lean core, or Aviary's broker wired as in production on either core. Each target gets its own process, so its CPU and RSS can be
 * read from /proc without the generator's. Reports `{ev:'listening', port}` over IPC; answers `gc` (a
 * full collection before memory readings), `stats` (the core's shed count) and `close`.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import type { BrokerCore, CoreKind, CoreOptions } from '../apps/broker/src/core/types.js';
import { loadConfig } from '../libs/config/src/config.js';

export type TargetSpec =
  | { kind: 'aedes'; options: Partial<Pick<AedesOptions, 'concurrency' | 'queueLimit' | 'drainTimeout'>> }
  | { kind: 'lean' }
  | { kind: 'aviary'; core: CoreKind; databaseUrl: string; masterKeyBase64: string; nodeId: string; dataDir: string };

interface Started {
  port: number;
  /** QoS 0 deliveries shed for subscribers that could not keep up; undefined where nothing counts them (bare aedes). */
  shed(): number | undefined;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

async function startAedes(options: AedesOptions): Promise<Started> {
  const broker = await Aedes.createBroker(options);
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    shed: () => undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.close();
        broker.close(() => resolve());
      }),
  };
}

/**
 * The bare lean core, the counterpart of bare aedes: `createCore('lean', {})`, no hooks, its default
 * (in-memory) persistence and emitter, behind a plain net server. Imported by computed path like the
 * Aviary modules below (core/ is being written beside this suite).
 */
async function startLean(): Promise<Started> {
  const { createCore } = (await import(new URL('../apps/broker/src/core/index.js', import.meta.url).href)) as {
    createCore(kind: CoreKind, opts: CoreOptions): Promise<BrokerCore>;
  };
  const core = await createCore('lean', {});
  if (core.kind !== 'lean') throw new Error(`createCore('lean') returned a ${core.kind} core`);
  const server = createServer((conn) => core.handle(conn));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    shed: () => core.shedCount,
    close: () =>
      new Promise<void>((resolve) => {
        server.close();
        core.close(() => resolve());
      }),
  };
}

/**
 * Aviary's broker with full production behaviour, started exactly as `npm run start:broker` does
 * (apps/broker/src/main.ts → start.ts `startBrokerApp`): the configuration comes from `loadConfig` over
 * an environment, so Signature authentication and RAM authorization against the configuration index
 * (PostgreSQL, live through LISTEN/NOTIFY), tenant namespacing, per-instance limits, the session registry
 * and writer, the PostgreSQL persistence and the default in-process emitter are all on, on the core the
 * spec names (`BROKER_CORE`; the started core's `kind` is checked). Differences from a deployment: the
 * listeners bind to 127.0.0.1 (loopback-only rule of the suite), the WebSocket listener takes a free
 * port, and the log level is `warn`.
 *
 * The broker modules are imported by computed path on purpose: they are being written beside this
 * suite, and the bench must still compile (and run its other targets) while they change.
 */
async function startAviary(spec: Extract<TargetSpec, { kind: 'aviary' }>): Promise<Started> {
  const { startBrokerApp } = await import(new URL('../apps/broker/src/start.js', import.meta.url).href);
  const config = loadConfig({
    // Explicit, so the core measured is the one the target's label names, whatever the shell exports.
    BROKER_CORE: spec.core,
    DATABASE_URL: spec.databaseUrl,
    AVIARY_MASTER_KEY: spec.masterKeyBase64,
    AVIARY_NODE_ID: spec.nodeId,
    AVIARY_DATA_DIR: spec.dataDir,
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const app = await startBrokerApp(config, { host: HOST });
  const running = (app.broker as { running: { broker: BrokerCore; ports: { mqtt: number }; stats(): { qos0Shed: number } } }).running;
  if (running.broker.kind !== spec.core) {
    await app.close();
    throw new Error(`asked for Aviary on the ${spec.core} core, it started on ${running.broker.kind}`);
  }
  return {
    port: running.ports.mqtt,
    // Aviary counts what either core shed (its hooks shed on aedes, the lean core sheds itself).
    shed: () => running.stats().qos0Shed,
    close: () => app.close(),
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as TargetSpec;
  const started = spec.kind === 'aviary' ? await startAviary(spec) : spec.kind === 'lean' ? await startLean() : await startAedes(spec.options as AedesOptions);
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'stats') {
      process.send!({ ev: 'stats', shed: started.shed() });
    } else if (m.cmd === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send!({ ev: 'gc-done', heapUsed: process.memoryUsage().heapUsed });
    } else if (m.cmd === 'close') {
      const force = setTimeout(() => process.exit(0), 3000);
      void started.close().finally(() => {
        clearTimeout(force);
        process.exit(0);
      });
    }
  });
  // The parent owns this process: if it goes away, so do we.
  process.on('disconnect', () => process.exit(0));
  process.send!({ ev: 'listening', port: started.port });
}

main().catch((e: Error) => {
  process.send?.({ ev: 'error', message: e.stack ?? e.message });
  setTimeout(() => process.exit(1), 100);
});
