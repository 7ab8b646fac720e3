import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/src/config.js';
import { decodeKey } from '../../../config/src/config.js';
import { SecretBox } from '../../../common/src/crypto.js';
import { SettingEntity } from './setting.entity.js';

const CHECK_KEY = 'master_key_check';
const CHECK_PLAIN = 'aviary-master-key-check';

/**
 * The key that encrypts secrets at rest: AVIARY_MASTER_KEY, else `<dataDir>/master.key` (generated on
 * first start, mode 0600). A check value sealed with the key is stored in the database on first use, so a
 * wrong key (e.g. a second API replica started without AVIARY_MASTER_KEY) fails at start with a clear
 * message instead of producing undecryptable secrets.
 */
export async function loadSecretBox(config: AppConfig, ds: DataSource): Promise<SecretBox> {
  const box = new SecretBox(await resolveMasterKey(config));
  const settings = ds.getRepository(SettingEntity);
  const check = await settings.findOneBy({ key: CHECK_KEY });
  if (!check) {
    await settings.upsert({ key: CHECK_KEY, value: box.seal(CHECK_PLAIN) }, ['key']);
    return box;
  }
  let ok = false;
  try {
    ok = box.open(check.value) === CHECK_PLAIN;
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new Error(
      'The master key does not match the one this database was set up with. Set AVIARY_MASTER_KEY to the ' +
        'original key (or restore <data dir>/master.key).',
    );
  }
  return box;
}

async function resolveMasterKey(config: AppConfig): Promise<Buffer> {
  if (config.masterKey) return decodeKey(config.masterKey)!;
  const file = join(config.dataDir, 'master.key');
  try {
    const key = decodeKey((await readFile(file, 'utf8')).trim());
    if (!key) throw new Error(`${file} does not hold a 32-byte key`);
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const key = randomBytes(32);
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
