import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../../libs/config/src/config.js';
import { createDataSource } from '../../../libs/core/src/data-source.js';
import { loadSecretBox } from '../../../libs/core/src/secrets/master-key.js';
import { startBroker, type BrokerOptions, type RunningBroker } from './broker.js';
import { CommandConsumer } from './commands/command-consumer.js';
import { createEmitter, createPersistence } from './persistence/index.js';

export const BROKER_CONFIG = Symbol('BROKER_CONFIG');

/** What the module adds to the config: test or embedding overrides of `startBroker`'s options. */
export interface BrokerModuleOptions {
  config: AppConfig;
  overrides?: Partial<BrokerOptions>;
}

/**
 * Owns the running broker inside the Nest standalone context: started on bootstrap, closed on shutdown
 * (Nest's shutdown hooks turn SIGTERM into an orderly close: listeners stop, clients are closed, the
 * session table is flushed, the database pool goes last). Other modules (rules, trace) inject it to reach
 * the event bus and the server-side publish.
 */
@Injectable()
export class BrokerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Broker');
  private ds?: DataSource;
  private broker?: RunningBroker;
  private commands?: CommandConsumer;

  constructor(@Inject(BROKER_CONFIG) private readonly options: BrokerModuleOptions) {}

  get running(): RunningBroker {
    if (!this.broker) throw new Error('The broker is not started');
    return this.broker;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { config, overrides } = this.options;
    const url = config.databaseUrl;
    if (!url) throw new Error('The broker needs a database URL (main.ts resolves the embedded one)');
    this.ds = createDataSource(url);
    await this.ds.initialize();
    const secretBox = await loadSecretBox(config, this.ds);
    const tls = config.mqtt.tlsCert && config.mqtt.tlsKey ? { cert: readFileSync(config.mqtt.tlsCert), key: readFileSync(config.mqtt.tlsKey) } : undefined;
    const logger = this.logger;
    this.broker = await startBroker({
      dataSource: this.ds,
      databaseUrl: url,
      secretBox,
      ports: { mqtt: config.mqtt.port, ws: config.mqtt.wsPort, mqtts: config.mqtt.tlsPort, wss: config.mqtt.wssPort },
      tls,
      core: config.mqtt.core,
      nodeId: config.nodeId,
      // Durable sessions: PostgreSQL on one node; Redis persistence and emitter with REDIS_URL.
      persistence: createPersistence({ databaseUrl: url, redisUrl: config.redisUrl, onError: (e) => logger.error(`Persistence: ${e.message}`) }),
      mq: config.redisUrl ? createEmitter({ redisUrl: config.redisUrl }) : undefined,
      log: {
        log: (m) => logger.log(m),
        warn: (m) => logger.warn(m),
        error: (m) => logger.error(m),
        debug: (m) => logger.debug(m),
      },
      ...overrides,
    });
    // SendMessage / CloseConnection from the control plane.
    this.commands = new CommandConsumer(this.ds, url, this.broker, logger, config.redisUrl !== undefined);
    await this.commands.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.commands?.close();
    await this.broker?.close();
    await this.ds?.destroy();
  }
}

@Module({})
export class BrokerModule {
  static forRoot(options: BrokerModuleOptions): DynamicModule {
    return {
      module: BrokerModule,
      providers: [{ provide: BROKER_CONFIG, useValue: options }, BrokerService],
      exports: [BrokerService],
    };
  }
}
