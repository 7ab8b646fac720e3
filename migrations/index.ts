import { BrokerNodes1795692286246 } from './1795692286246-BrokerNodes.js';
import { BrokerCommands1795690761046 } from './1795690761046-BrokerCommands.js';
import { MqttTokens1795690680921 } from './1795690680921-MqttTokens.js';
import { BrokerPersistence1795690504803 } from './1795690504803-BrokerPersistence.js';
import { RpcNonces1795690491626 } from './1795690491626-RpcNonces.js';
import { ChangeNotifications1795690131878 } from './1795690131878-ChangeNotifications.js';
import { Initial1795690131877 } from './1795690131877-Initial.js';
import { MqttSessions1795691500000 } from './1795691500000-MqttSessions.js';
import type { MigrationInterface } from 'typeorm';

/** Every migration, oldest first. `npm run migration:generate -- Name` appends to this list. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Initial1795690131877, ChangeNotifications1795690131878, RpcNonces1795690491626, BrokerPersistence1795690504803, MqttTokens1795690680921, MqttSessions1795691500000, BrokerCommands1795690761046, BrokerNodes1795692286246];
