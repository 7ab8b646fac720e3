import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '../../../libs/config/src/config.js';
import { BrokerModule, BrokerService, type BrokerModuleOptions } from './broker.module.js';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/**
 * The broker as a Nest standalone application context (no HTTP). Nest earns its place here by giving the
 * broker the same lifecycle (bootstrap/shutdown hooks, SIGTERM handling), logger and DI as the API, so the
 * rules and trace modules can later be added beside `BrokerModule` and inject `BrokerService`; the broker
 * core itself (broker.ts) stays framework-free and is what tests start directly.
 */
export async function startBrokerApp(config: AppConfig, overrides?: BrokerModuleOptions['overrides']): Promise<INestApplicationContext & { broker: BrokerService }> {
  const app = await NestFactory.createApplicationContext(BrokerModule.forRoot({ config, overrides }), { logger: LEVELS[config.logLevel] });
  await app.init();
  return Object.assign(app, { broker: app.get(BrokerService) });
}
