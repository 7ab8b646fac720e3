import { Logger } from '@nestjs/common';
import { loadConfig } from '../../../libs/config/src/config.js';
import { prepareDatabase } from '../../../libs/core/src/runtime.js';
import { startApi } from '../../api/src/start.js';
import { startBrokerApp } from '../../broker/src/start.js';

/**
 * `npm start`: the whole service in one process — embedded PostgreSQL (unless DATABASE_URL is set),
 * migrations, the control plane and one broker worker. The two apps share nothing in memory: they talk
 * through PostgreSQL exactly as separate processes would, so this is the scale-out layout folded into one.
 */
const logger = new Logger('Aviary');
let config;
try {
  config = loadConfig();
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const db = await prepareDatabase(config, (m) => logger.log(m));
const api = await startApi(db.config);
const broker = await startBrokerApp(db.config);
const ports = broker.broker.running.ports;
logger.log(`MQTT on tcp://localhost:${ports.mqtt}, ws://localhost:${ports.ws}/mqtt${ports.mqtts ? `, mqtts :${ports.mqtts}` : ''}${ports.wss ? `, wss :${ports.wss}` : ''}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    void broker
      .close()
      .then(() => api.close())
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
