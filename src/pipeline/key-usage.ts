/**
 * When each API key was last used, kept in Redis where every gateway process writes it and
 * `medcom-gateway keys list` reads it. Cheap by design: each process writes a key's time at most once
 * per interval (a minute), so "last used" is exact to the interval, and a busy key costs one Redis
 * write a minute per process, not one per request. The hash holds milliseconds since the epoch per key
 * id; a write never moves a key's time backwards (another process may have written a later one).
 */
import type { Redis } from 'ioredis';

export const KEY_USAGE_INTERVAL_MS = 60_000;

/** The Redis hash of last-use times under the gateway's prefix. */
export function keyUsageHash(prefix: string): string {
  return `${prefix}:keys:last-used`;
}

// HSET only when the stored time is older: two processes' writes may arrive in either order.
const SET_IF_LATER = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == false or tonumber(current) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0`;

export interface KeyUsageRecorderOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly clock: () => Date;
  /** Told about a write that failed (Redis away); the request is never held or failed for it. */
  readonly onError?: (error: unknown) => void;
  readonly intervalMs?: number;
}

export class KeyUsageRecorder {
  /** Per key id, when this process last wrote its time. */
  private readonly written = new Map<string, number>();

  constructor(private readonly options: KeyUsageRecorderOptions) {}

  /** A request was authenticated with `keyId`: write its time unless this process did so within the interval. */
  used(keyId: string): void {
    const now = this.options.clock().getTime();
    const last = this.written.get(keyId);
    if (last !== undefined && now - last < (this.options.intervalMs ?? KEY_USAGE_INTERVAL_MS)) return;
    this.written.set(keyId, now);
    this.options.redis.eval(SET_IF_LATER, 1, keyUsageHash(this.options.prefix), keyId, String(now)).catch((error: unknown) => {
      // Try again with the next request rather than a minute later.
      this.written.delete(keyId);
      this.options.onError?.(error);
    });
  }
}

/** The last use of each key id that has one. */
export async function readKeyUsage(redis: Redis, prefix: string): Promise<Map<string, Date>> {
  const all = await redis.hgetall(keyUsageHash(prefix));
  const usage = new Map<string, Date>();
  for (const [id, ms] of Object.entries(all)) {
    const time = Number(ms);
    if (Number.isFinite(time)) usage.set(id, new Date(time));
  }
  return usage;
}
