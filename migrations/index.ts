import { ChangeNotifications1795690131878 } from './1795690131878-ChangeNotifications.js';
import { Initial1795690131877 } from './1795690131877-Initial.js';
import type { MigrationInterface } from 'typeorm';

/** Every migration, oldest first. `npm run migration:generate -- Name` appends to this list. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Initial1795690131877, ChangeNotifications1795690131878];
