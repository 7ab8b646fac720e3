import { runMigrations } from '../libs/core/src/data-source.js';
import { withDatabase } from './with-database.js';

const applied = await withDatabase((url) => runMigrations(url));
console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
