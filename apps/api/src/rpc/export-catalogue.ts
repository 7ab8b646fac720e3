/**
 * Writes the RPC action catalogue: `npm run rpc:catalogue` (after changing an action). The
 * `rpc-catalogue` test fails until the committed file matches the code.
 */
import { writeFile } from 'node:fs/promises';
import { CATALOGUE_FILE, rpcCatalogueJson } from './catalogue.js';

await writeFile(CATALOGUE_FILE, rpcCatalogueJson());
console.log(`Wrote ${CATALOGUE_FILE}`);
