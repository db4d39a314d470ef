/**
 * `medcom-gateway keys create --endpoint EAN | --ops --name "Jens Hansen"`: makes an API key, prints it
 * once, and stores only its hash in config/keys.json (MEDCOM_CONFIG_DIR). Every ops key names the
 * person it belongs to, so the audit log can say who read a patient's message.
 *
 * `keys list`, `keys revoke ID` and `keys rotate ID [--grace 24h]` read and change the same file. A
 * revoked key stays in the file with the time it was revoked, so the list (and whoever reads the
 * file) can tell what happened to it; a rotated key gets the time it stops working (`expires`). The
 * file is written whole to a temporary file and renamed over the old one, so a running gateway that
 * reloads it never reads half a file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEndpointRegister } from '../config/endpoints.js';
import { createKey, keysFilePath, keyState, loadStoredKeys, type StoredKey } from '../config/keys.js';

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
  writeKeysFile(file, { ...existing, keys: [...(existing.keys ?? []), record] });
  write(`${key}\n`);
  process.stderr.write(`stored the hash of key ${record.id} for ${trimmed ?? principal} in ${file}; the key above is shown only once\n`);
  return 0;
}

/** Writes keys.json whole, then renames it into place: a reader sees the old file or the new one. */
function writeKeysFile(file: string, content: { keys: readonly StoredKey[] }): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/** What the list shows of one key; never its secret or hash. */
export interface KeyListing {
  readonly id: string;
  /** An endpoint EAN, or "ops". */
  readonly principal: string;
  /** The endpoint's name from endpoints.json, or the operator's name. */
  readonly owner: string;
  readonly created: string | null;
  /** The last use the gateways recorded (to the minute); null: never; undefined: not known (Redis not reachable). */
  readonly lastUsed: string | null | undefined;
  readonly state: 'active' | 'revoked' | 'expired';
  readonly revoked?: string;
  readonly expires?: string;
}

export interface KeysListIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** When each key id was last used, from the gateways' record; rejects when that cannot be read. */
  readonly lastUsed: () => Promise<ReadonlyMap<string, Date>>;
  readonly now?: () => Date;
}

/** 2026-03-13 09:00Z: to the minute, in UTC, as "last used" is recorded. */
function minute(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

function stateText(key: KeyListing): string {
  if (key.state === 'revoked') return `revoked ${minute(key.revoked as string)}`;
  if (key.state === 'expired') return `expired ${minute(key.expires as string)}`;
  return key.expires === undefined ? 'active' : `active, expires ${minute(key.expires)}`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')).join('\n') + '\n';
}

/** `keys list [--json]`: every key of keys.json with its owner, times and state; exit 0 (a broken keys.json stops it with its problems, as it stops a start). */
export async function runKeysList(configDir: string, options: { json: boolean }, io: KeysListIo): Promise<number> {
  const register = loadEndpointRegister(configDir);
  const stored = loadStoredKeys(configDir, register);
  const now = (io.now ?? (() => new Date()))();
  let usage: ReadonlyMap<string, Date> | undefined;
  try {
    usage = await io.lastUsed();
  } catch (error) {
    io.err(`last use unknown: ${(error as Error).message}\n`);
  }
  const keys: KeyListing[] = stored.map((key) => ({
    id: key.id,
    principal: key.principal,
    owner: key.principal === 'ops' ? (key.name ?? 'operator (no name)') : (register.find(key.principal)?.name ?? 'not in endpoints.json'),
    created: key.created ?? null,
    lastUsed: usage === undefined ? undefined : (usage.get(key.id)?.toISOString() ?? null),
    state: keyState(key, now),
    ...(key.revoked === undefined ? {} : { revoked: key.revoked }),
    ...(key.expires === undefined ? {} : { expires: key.expires }),
  }));
  if (options.json) {
    io.out(`${JSON.stringify({ file: keysFilePath(configDir), lastUsedKnown: usage !== undefined, keys: keys.map((k) => ({ ...k, lastUsed: k.lastUsed ?? null })) })}\n`);
    return 0;
  }
  if (keys.length === 0) {
    io.out(`no keys in ${keysFilePath(configDir)}${register.demoKeys ? ' (the demo keys are on)' : ''}\n`);
    return 0;
  }
  const rows = [
    ['ID', 'OWNER', 'CREATED', 'LAST USED', 'STATE'],
    ...keys.map((key) => [
      key.id,
      key.principal === 'ops' ? `ops: ${key.owner}` : `${key.principal} ${key.owner}`,
      key.created === null ? '-' : minute(key.created),
      key.lastUsed === undefined ? 'unknown' : key.lastUsed === null ? 'never' : minute(key.lastUsed),
      stateText(key),
    ]),
  ];
  io.out(table(rows));
  return 0;
}

/** The index of key `id` in the file, or a message and exit 2. */
function findKey(stored: readonly StoredKey[], id: string, file: string, err: (text: string) => void): number | undefined {
  const index = stored.findIndex((key) => key.id === id);
  if (index < 0) {
    err(`no key with the id ${id} in ${file} ("medcom-gateway keys list" shows the ids)\n`);
    return undefined;
  }
  return index;
}

export interface KeysChangeIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now?: () => Date;
}

/** `keys revoke ID`: the key stops working; its record stays, with the time. */
export function runKeysRevoke(configDir: string, id: string, io: KeysChangeIo): number {
  const register = loadEndpointRegister(configDir);
  const file = keysFilePath(configDir);
  const stored = loadStoredKeys(configDir, register);
  const index = findKey(stored, id, file, io.err);
  if (index === undefined) return 2;
  const key = stored[index] as StoredKey;
  if (key.revoked !== undefined) {
    io.err(`key ${id} was already revoked at ${key.revoked}; nothing changed\n`);
    return 0;
  }
  const revoked = (io.now ?? (() => new Date()))().toISOString();
  writeKeysFile(file, { keys: stored.map((k, i) => (i === index ? { ...k, revoked } : k)) });
  io.err(`revoked key ${id} of ${key.principal === 'ops' ? (key.name ?? 'ops') : key.principal} at ${revoked}; running gateways refuse it once they reload ${file} (at once when they watch it; else send them SIGHUP)\n`);
  return 0;
}

/** `--grace`: 0, or a whole number with s, m, h or d (e.g. 24h, 90m, 7d); at most 365 days. */
export function parseGrace(text: string): number | undefined {
  if (text.trim() === '0') return 0;
  const match = /^([0-9]{1,6})(s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return ms <= 365 * 86_400_000 ? ms : undefined;
}

export const DEFAULT_GRACE = '24h';

/**
 * `keys rotate ID [--grace 24h]`: a new key for the same endpoint or person, printed once; the old key
 * keeps working until now + grace (`--grace 0`: ends now). A grace never lengthens an earlier end.
 */
export function runKeysRotate(configDir: string, id: string, grace: string, io: KeysChangeIo): number {
  const graceMs = parseGrace(grace);
  if (graceMs === undefined) {
    io.err(`--grace ${grace} is not valid: give how long the old key keeps working, as 0 or a whole number with s, m, h or d (e.g. 24h, 90m, 7d; at most 365d)\n`);
    return 2;
  }
  const register = loadEndpointRegister(configDir);
  const file = keysFilePath(configDir);
  const stored = loadStoredKeys(configDir, register);
  const index = findKey(stored, id, file, io.err);
  if (index === undefined) return 2;
  const old = stored[index] as StoredKey;
  const now = (io.now ?? (() => new Date()))();
  const state = keyState(old, now);
  if (state !== 'active') {
    io.err(`key ${id} is ${state}; make a new key with "medcom-gateway keys create" instead\n`);
    return 2;
  }
  const end = now.getTime() + graceMs;
  const expires = new Date(old.expires === undefined ? end : Math.min(end, Date.parse(old.expires))).toISOString();
  const { key, record } = createKey(old.principal, now, old.name);
  writeKeysFile(file, { keys: [...stored.map((k, i) => (i === index ? { ...k, expires } : k)), record] });
  io.out(`${key}\n`);
  const owner = old.principal === 'ops' ? (old.name ?? 'ops') : old.principal;
  io.err(`stored the hash of key ${record.id} for ${owner} in ${file}; the key above is shown only once. The old key ${id} works until ${expires}\n`);
  return 0;
}
