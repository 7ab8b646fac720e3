import request from 'supertest';
import { startApiApp, type TestApi } from '../../../libs/testing/src/api-app.js';

describe('api smoke', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiApp();
  });
  afterAll(() => api.close());

  it('should answer health checks', async () => {
    await request(api.url).get('/healthz').expect(200, { status: 'ok' });
    await request(api.url).get('/readyz').expect(200, { status: 'ok', database: 'up' });
  });
});
