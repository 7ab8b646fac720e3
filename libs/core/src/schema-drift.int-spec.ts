import { testDatabaseUrl } from '../../testing/src/database.js';
import { createDataSource, pendingSchemaChanges } from './data-source.js';

describe('migrations', () => {
  it('should leave nothing for the entities to change (run `npm run migration:generate -- Name` if this fails)', async () => {
    const ds = createDataSource(await testDatabaseUrl(), 1);
    await ds.initialize();
    try {
      const { up } = await pendingSchemaChanges(ds);
      expect(up).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });
});
