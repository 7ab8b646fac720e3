import type { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from './naming.strategy.js';

type Classes = Function[];

/**
 * The single TypeORM options builder, shared by the apps, the migration scripts and the tests.
 * Migrations are explicit classes (no globs: the same list works from sources under Jest and from dist);
 * `synchronize` is never on — the schema changes only through reviewed migrations.
 */
export function dataSourceOptions(url: string, entities: Classes, migrations: Classes, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsRun: false,
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    extra: { max: poolSize },
    logging: false, // failures surface as exceptions, mapped by each face; no SQL in logs
    // gen_random_uuid() is built into PostgreSQL 13+, so no extension has to be installed.
    uuidExtension: 'pgcrypto',
  };
}
