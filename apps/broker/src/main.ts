import { Logger } from '@nestjs/common';
import { loadConfig } from '../../../libs/config/src/config.js';
import { prepareDatabase } from '../../../libs/core/src/runtime.js';
import { startBrokerApp } from './start.js';

/**
 * `npm run start:broker`: one broker worker alone. DATABASE_URL, or the embedded PostgreSQL under the
 * data dir when it is unset (prepareDatabase also applies pending migrations). SIGTERM / SIGINT close it
 * in order: listeners, clients (wills fire), session table flush, database.
 */
const logger = new Logger('Aviary');
const db = await prepareDatabase(loadConfig(), (m) => logger.log(m));
const app = await startBrokerApp(db.config);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: closing the broker`);
    void app
      .close()
      .then(() => db.stop())
      .then(
        () => process.exit(0),
        (e: Error) => {
          logger.error(`Shutdown failed: ${e.message}`);
          process.exit(1);
        },
      );
  });
}
