/**
 * Entry point of a Node broker target (spawned by procs.ts `Target.node`): bare aedes with given options,
 * or Aviary's broker wired as in production. Each target gets its own process, so its CPU and RSS can be
 * read from /proc without the generator's. Reports `{ev:'listening', port}` over IPC; answers `gc` (a
 * full collection before memory readings) and `close`.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import { loadConfig } from '../libs/config/src/config.js';

export type TargetSpec =
  | { kind: 'aedes'; options: Partial<Pick<AedesOptions, 'concurrency' | 'queueLimit' | 'drainTimeout'>> }
  | { kind: 'aviary'; databaseUrl: string; masterKeyBase64: string; nodeId: string; dataDir: string };

interface Started {
  port: number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

async function startAedes(options: AedesOptions): Promise<Started> {
  const broker = await Aedes.createBroker(options);
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close();
        broker.close(() => resolve());
      }),
  };
}

/**
 * Aviary's broker with full production behaviour, started exactly as `npm run start:broker` does
 * (apps/broker/src/main.ts → start.ts `startBrokerApp`): the configuration comes from `loadConfig` over
 * an environment, so Signature authentication and RAM authorization against the configuration index
 * (PostgreSQL, live through LISTEN/NOTIFY), tenant namespacing, per-instance limits, the session registry
 * and writer, the PostgreSQL persistence and the default emitter (mqemitter, concurrency 0) are all on.
 * Differences from a deployment: the listeners bind to 127.0.0.1 (loopback-only rule of the suite), the
 * WebSocket listener takes a free port, and the log level is `warn`.
 *
 * The broker modules are imported by computed path on purpose: they are being written beside this
 * suite, and the bench must still compile (and run its other targets) while they change.
 */
async function startAviary(spec: Extract<TargetSpec, { kind: 'aviary' }>): Promise<Started> {
  const { startBrokerApp } = await import(new URL('../apps/broker/src/start.js', import.meta.url).href);
  const config = loadConfig({
    DATABASE_URL: spec.databaseUrl,
    AVIARY_MASTER_KEY: spec.masterKeyBase64,
    AVIARY_NODE_ID: spec.nodeId,
    AVIARY_DATA_DIR: spec.dataDir,
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const app = await startBrokerApp(config, { host: HOST });
  return {
    port: app.broker.running.ports.mqtt,
    close: () => app.close(),
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as TargetSpec;
  const started = spec.kind === 'aviary' ? await startAviary(spec) : await startAedes(spec.options as AedesOptions);
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'gc') {
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
