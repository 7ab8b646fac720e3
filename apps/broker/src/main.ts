import { Logger } from '@nestjs/common';
import { exitOnSignal, loadConfigOrExit, prepareDatabase } from '../../../libs/core/src/runtime.js';
import { startBrokerApp } from './start.js';

/**
 * `npm run start:broker`: one broker worker alone. DATABASE_URL, or the embedded PostgreSQL under the
 * data dir when it is unset (prepareDatabase also applies pending migrations). SIGTERM / SIGINT close it
 * in order: listeners, clients (wills fire), session table flush, database.
 */
const logger = new Logger('Aviary');
const db = await prepareDatabase(loadConfigOrExit(), (m) => logger.log(m));
const app = await startBrokerApp(db.config);
exitOnSignal(logger, async () => {
  await app.close();
  await db.stop();
});
