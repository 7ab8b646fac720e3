import { readFile } from 'node:fs/promises';
import request from 'supertest';
import { startApiApp, type TestApi } from '../../../libs/testing/src/api-app.js';
import { buildOpenApi, serializeOpenApi } from '../src/openapi.js';

describe('OpenAPI document', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiApp();
  });
  afterAll(() => api.close());

  it('should match the committed openapi/openapi.json (run `npm run openapi:export` after changing the API)', async () => {
    const committed = await readFile(new URL('../../../openapi/openapi.json', import.meta.url), 'utf8');
    expect(serializeOpenApi(buildOpenApi(api.app))).toBe(committed);
  });

  it('should serve Swagger UI at /docs and the document beside it', async () => {
    const ui = await request(api.url).get('/docs/').expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = await request(api.url).get('/docs/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toContain('/v1/instances/{instanceId}/groups');
  });
});
