import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations/index.js';
import type { AppConfig } from '../../config/src/config.js';
import { dataSourceOptions } from '../../database/src/data-source-options.js';
import { ENTITIES } from './entities.js';
import { loadSecretBox } from './secrets/master-key.js';
import { systemClock, type Clock } from '../../common/src/clock.js';
import { CLOCK, CONFIG, SECRET_BOX } from './tokens.js';

/**
 * Global plumbing every app needs: the config object, the TypeORM connection and the SecretBox.
 * `config.databaseUrl` must be resolved (embedded PostgreSQL started) before this module is built.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, opts: { clock?: Clock } = {}): DynamicModule {
    if (!config.databaseUrl) throw new Error('CoreModule needs a resolved databaseUrl');
    return {
      module: CoreModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(config.databaseUrl, ENTITIES, MIGRATIONS))],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: CLOCK, useValue: opts.clock ?? systemClock },
        { provide: SECRET_BOX, inject: [DataSource], useFactory: (ds: DataSource) => loadSecretBox(config, ds) },
      ],
      exports: [CONFIG, SECRET_BOX, CLOCK],
    };
  }
}
