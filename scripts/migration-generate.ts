/**
 * Generates a migration from the difference between the entities and a database on which every existing
 * migration has run (a scratch database unless DATABASE_URL is set). Review the file before committing.
 *   npm run migration:generate -- AddTokens
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createDataSource, pendingSchemaChanges, runMigrations } from '../libs/core/src/data-source.js';
import { withDatabase } from './with-database.js';

const name = process.argv[2];
if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
  console.error('usage: npm run migration:generate -- PascalCaseName');
  process.exit(2);
}

const { up, down } = await withDatabase(
  async (url) => {
    await runMigrations(url);
    const ds = createDataSource(url, 1);
    await ds.initialize();
    try {
      return await pendingSchemaChanges(ds);
    } finally {
      await ds.destroy();
    }
  },
  { scratch: true },
);
if (up.length === 0) {
  console.log('No changes: entities and migrations agree.');
  process.exit(0);
}

const stamp = Date.now();
const className = `${name}${stamp}`;
const q = (s: string) => '    await queryRunner.query(`' + s.replace(/`/g, '\\`') + '`);';
const source = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${up.map(q).join('\n')}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${down.reverse().map(q).join('\n')}
  }
}
`;
const file = `migrations/${stamp}-${name}.ts`;
await writeFile(file, source);
const index = await readFile('migrations/index.ts', 'utf8');
const updated = index.replace(/= \[([^\]]*)\];/, (_m, list: string) => {
  const names = list.split(',').map((n) => n.trim()).filter(Boolean);
  return `= [${[...names, className].join(', ')}];`;
});
await writeFile('migrations/index.ts', `import { ${className} } from './${stamp}-${name}.js';\n` + updated);
console.log(`Wrote ${file}; review it, then commit.`);
