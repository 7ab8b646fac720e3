import { Logger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Clock } from '../../../libs/common/src/clock.js';
import type { AppConfig } from '../../../libs/config/src/config.js';
import { ApiModule } from './api.module.js';
import { HttpErrorFilter } from './common/http-error.filter.js';
import { requestIdMiddleware } from './common/request-id.js';
import { createValidationPipe } from './common/validation.js';
import { buildOpenApi, mountSwagger } from './openapi.js';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** Builds the API application (not listening yet): used by main, the all-in-one server, tests and the OpenAPI export. */
export async function createApiApp(config: AppConfig, opts: { logger?: boolean; clock?: Clock } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, { clock: opts.clock }), {
    logger: opts.logger === false ? false : LEVELS[config.logLevel],
    bodyParser: false,
    // The RPC face's v3 signature hashes the exact request body.
    rawBody: true,
  });
  // Form bodies carry the RPC face's parameters (pop-core POSTs everything, SendMessage payloads included).
  app.useBodyParser('json', { limit: '1mb' });
  app.useBodyParser('urlencoded', { extended: false, limit: '1mb' });
  app.use(requestIdMiddleware);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  mountSwagger(app, buildOpenApi(app));
  return app;
}

export const apiLogger = new Logger('Aviary');
