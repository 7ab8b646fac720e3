import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations/index.js';
import { dataSourceOptions } from '../../database/src/data-source-options.js';
import { ENTITIES } from './entities.js';

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource(dataSourceOptions(url, ENTITIES, MIGRATIONS, poolSize));
}

/** Applies pending migrations (each in its own transaction) and returns their names. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = createDataSource(url, 1);
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/** SQL that would bring the database in line with the entities; empty when migrations and entities agree. */
export async function pendingSchemaChanges(ds: DataSource): Promise<{ up: string[]; down: string[] }> {
  const log = await ds.driver.createSchemaBuilder().log();
  return {
    up: log.upQueries.map((q) => q.query),
    down: log.downQueries.map((q) => q.query),
  };
}
