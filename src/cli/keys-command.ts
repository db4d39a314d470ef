/**
 * `medcom-gateway keys create --endpoint EAN | --ops --name "Jens Hansen"`: makes an API key, prints it
 * once, and stores only its hash in config/keys.json (MEDCOM_CONFIG_DIR). Every ops key names the
 * person it belongs to, so the audit log can say who read a patient's message.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEndpointRegister } from '../config/endpoints.js';
import { createKey, type StoredKey } from '../config/keys.js';

export function runKeysCreate(configDir: string, principal: string, write: (text: string) => void, name?: string): number {
  const register = loadEndpointRegister(configDir);
  const trimmed = name?.trim().replace(/\s+/g, ' ');
  if (principal === 'ops' && (!trimmed || trimmed.length > 100)) {
    process.stderr.write('an ops key needs the name of the person it belongs to (1 to 100 characters): --name "Jens Hansen"\n');
    return 2;
  }
  if (principal !== 'ops' && trimmed !== undefined) {
    process.stderr.write('--name is for ops keys; an endpoint key is named by its EAN\n');
    return 2;
  }
  if (principal !== 'ops' && !register.find(principal)) {
    write(`${principal} is not an endpoint in ${join(configDir, 'endpoints.json')}\n`);
    return 2;
  }
  const file = join(configDir, 'keys.json');
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { keys?: StoredKey[] }) : {};
  const { key, record } = createKey(principal, new Date(), trimmed);
  writeFileSync(file, `${JSON.stringify({ keys: [...(existing.keys ?? []), record] }, null, 2)}\n`, { mode: 0o600 });
  write(`${key}\n`);
  process.stderr.write(`stored the hash of key ${record.id} for ${trimmed ?? principal} in ${file}; the key above is shown only once\n`);
  return 0;
}
