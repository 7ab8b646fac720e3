import { loadConfig } from '../../../libs/config/src/config.js';
import { prepareDatabase } from '../../../libs/core/src/runtime.js';
import { apiLogger } from './app.js';
import { startApi } from './start.js';

/** `npm run start:api`: the control plane alone (stateless; run several behind a load balancer). */
const db = await prepareDatabase(loadConfig(), (m) => apiLogger.log(m));
const app = await startApi(db.config);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => db.stop()).then(() => process.exit(0));
  });
}
