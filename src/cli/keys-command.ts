/**
 * `medcom-gateway keys create --endpoint EAN | --ops`: makes an API key, prints it once, and stores
 * only its hash in config/keys.json (MEDCOM_CONFIG_DIR).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEndpointRegister } from '../config/endpoints.js';
import { createKey, type StoredKey } from '../config/keys.js';

export function runKeysCreate(configDir: string, principal: string, write: (text: string) => void): number {
  const register = loadEndpointRegister(configDir);
  if (principal !== 'ops' && !register.find(principal)) {
    write(`${principal} is not an endpoint in ${join(configDir, 'endpoints.json')}\n`);
    return 2;
  }
  const file = join(configDir, 'keys.json');
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { keys?: StoredKey[] }) : {};
  const { key, record } = createKey(principal);
  writeFileSync(file, `${JSON.stringify({ keys: [...(existing.keys ?? []), record] }, null, 2)}\n`, { mode: 0o600 });
  write(`${key}\n`);
  process.stderr.write(`stored the hash of key ${record.id} for ${principal} in ${file}; the key above is shown only once\n`);
  return 0;
}
