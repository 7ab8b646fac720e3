import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../../../../libs/config/src/config.js';
import { runMigrations } from '../../../../libs/core/src/data-source.js';
import { withDatabase } from '../../../../scripts/with-database.js';
import { createApiApp } from '../app.js';
import { buildOpenApi, serializeOpenApi } from '../openapi.js';

/** Writes openapi/openapi.json from the code. CI (a test) fails when the committed file differs. */
await withDatabase(
  async (url) => {
    await runMigrations(url);
    const app = await createApiApp({ ...loadConfig(), databaseUrl: url }, { logger: false });
    await app.init();
    await writeFile('openapi/openapi.json', serializeOpenApi(buildOpenApi(app)));
    await app.close();
  },
  { scratch: true },
);
console.log('Wrote openapi/openapi.json');
