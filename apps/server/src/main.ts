import { Logger } from '@nestjs/common';
import { exitOnSignal, loadConfigOrExit, prepareDatabase } from '../../../libs/core/src/runtime.js';
import { startApi } from '../../api/src/start.js';
import { startBrokerApp } from '../../broker/src/start.js';

/**
 * `npm start`: the whole service in one process — embedded PostgreSQL (unless DATABASE_URL is set),
 * migrations, the control plane and one broker worker. The two apps share nothing in memory: they talk
 * through PostgreSQL exactly as separate processes would, so this is the scale-out layout folded into one.
 */
const logger = new Logger('Aviary');
const db = await prepareDatabase(loadConfigOrExit(), (m) => logger.log(m));
const api = await startApi(db.config);
const broker = await startBrokerApp(db.config);
const ports = broker.broker.running.ports;
logger.log(`MQTT on tcp://localhost:${ports.mqtt}, ws://localhost:${ports.ws}/mqtt${ports.mqtts ? `, mqtts :${ports.mqtts}` : ''}${ports.wss ? `, wss :${ports.wss}` : ''}`);
exitOnSignal(logger, async () => {
  await broker.close();
  await api.close();
  await db.stop();
});
