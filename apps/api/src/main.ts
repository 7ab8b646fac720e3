import { exitOnSignal, loadConfigOrExit, prepareDatabase } from '../../../libs/core/src/runtime.js';
import { apiLogger } from './app.js';
import { startApi } from './start.js';

/** `npm run start:api`: the control plane alone (stateless; run several behind a load balancer). */
const db = await prepareDatabase(loadConfigOrExit(), (m) => apiLogger.log(m));
const app = await startApi(db.config);
exitOnSignal(apiLogger, async () => {
  await app.close();
  await db.stop();
});
