import { ConfigError, loadConfig, type AppConfig } from '../../config/src/config.js';
import { startEmbeddedPostgres } from '../../database/src/embedded.js';
import { runMigrations } from './data-source.js';

export interface PreparedDatabase {
  /** The config with `databaseUrl` resolved. */
  config: AppConfig;
  stop(): Promise<void>;
}

/**
 * Start-up step shared by every entry point: use DATABASE_URL, or start the embedded PostgreSQL under
 * the data dir; then apply pending migrations (an advisory lock inside TypeORM's runner is not needed:
 * migrations run in transactions, and a second runner finds them applied).
 */
export async function prepareDatabase(config: AppConfig, log: (msg: string) => void): Promise<PreparedDatabase> {
  let url = config.databaseUrl;
  let stop: () => Promise<void> = async () => undefined;
  if (!url) {
    log(`No DATABASE_URL: starting embedded PostgreSQL in ${config.dataDir}/pg`);
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedDbPort });
    url = embedded.url;
    stop = () => embedded.stop();
  }
  const applied = await runMigrations(url);
  if (applied.length > 0) log(`Applied migrations: ${applied.join(', ')}`);
  return { config: { ...config, databaseUrl: url }, stop };
}

/**
 * SIGINT/SIGTERM run `close` once (listeners, clients, pools, the embedded database — in the order the
 * entry point gives), then exit 0; a failing close exits 1.
 */
export function exitOnSignal(log: { log(m: string): void; error(m: string): void }, close: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      log.log(`${signal}: shutting down`);
      close().then(
        () => process.exit(0),
        (e: Error) => {
          log.error(`Shutdown failed: ${e.message}`);
          process.exit(1);
        },
      );
    });
  }
}

/** The config, or — on a bad environment — the one message listing every problem, and exit code 2. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exit(2);
  }
}
