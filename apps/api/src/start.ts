import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from '../../../libs/config/src/config.js';
import { AccessKeysService } from '../../../libs/core/src/access-keys/access-keys.service.js';
import { apiLogger, createApiApp } from './app.js';

/** Creates the API, seeds the root AccessKey (printing a generated one once) and listens on HTTP_PORT. */
export async function startApi(config: AppConfig, port = config.httpPort): Promise<INestApplication> {
  const app = await createApiApp(config);
  const created = await app.get(AccessKeysService).ensureRoot();
  if (created) {
    // Printed once, on the first start; afterwards only the 0600 file holds it.
    console.log(
      [
        '',
        '==================== Aviary root AccessKey (shown once) ====================',
        `  AccessKeyId:     ${created.accessKeyId}`,
        `  AccessKeySecret: ${created.accessKeySecret}`,
        `  Saved to ${created.file} (mode 0600).`,
        '=============================================================================',
        '',
      ].join('\n'),
    );
  }
  await app.listen(port);
  apiLogger.log(`Control plane on http://localhost:${port} (REST /v1, RPC /, Swagger /docs)`);
  return app;
}
