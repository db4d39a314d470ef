/**
 * Hot reload of `keys.json`: a running API process picks up keys made, rotated or revoked with
 * `medcom-gateway keys` without a restart. It watches the configuration folder (not the file: an
 * editor or a deploy tool that writes a new file and renames it over the old one replaces the file's
 * inode, which a watch on the file itself would lose) and re-reads on SIGHUP, for file systems where
 * watching does not work. Changes are debounced, and a file whose bytes did not change is not
 * reloaded, so one save that raises several events reloads once.
 *
 * A file that fails validation is not applied: the old keys stay and the log says why. A missing file
 * is not read as "no keys" either (an editor may remove it for a moment while saving): to remove every
 * key, write `{ "keys": [] }`. The log never holds a secret (keys.json holds only hashes of them).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { ConfigError } from '../config/endpoints.js';
import { keysFilePath, keyState, loadStoredKeys, type KeyRing } from '../config/keys.js';
import type { EndpointRegister } from '../domain/endpoint.js';
import type { Logger } from '../logging.js';

export type KeyReloadResult =
  | { readonly applied: true; readonly keys: number; readonly usable: number }
  | { readonly applied: false; readonly reason: 'unchanged' | 'missing' | 'invalid' | 'no-api'; readonly problems?: readonly string[] };

export interface KeyReloaderOptions {
  readonly configDir: string;
  readonly register: EndpointRegister;
  readonly keyRing: KeyRing;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly production: boolean;
  /** How long to wait after the last change before reading (default 250 ms). */
  readonly debounceMs?: number;
}

function digestOf(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

export class KeyReloader {
  private readonly file: string;
  /** The bytes last applied (or found at start), so a save that changed nothing reloads nothing. */
  private appliedDigest: string | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KeyReloaderOptions) {
    this.file = keysFilePath(options.configDir);
    this.appliedDigest = digestOf(this.file);
  }

  /** Reads keys.json now and applies it when it changed and is valid. */
  reload(trigger: string): KeyReloadResult {
    const { logger } = this.options;
    if (!existsSync(this.file)) {
      logger.warn({ file: this.file, trigger }, 'keys.json is missing; the API keys stay as they were (write { "keys": [] } to remove every key)');
      return { applied: false, reason: 'missing' };
    }
    const digest = digestOf(this.file);
    if (digest !== undefined && digest === this.appliedDigest) return { applied: false, reason: 'unchanged' };
    try {
      const stored = loadStoredKeys(this.options.configDir, this.options.register);
      this.options.keyRing.replaceKeys(stored);
      this.appliedDigest = digest;
      const now = this.options.clock();
      const usable = stored.filter((key) => keyState(key, now) === 'active').length;
      logger.info({ file: this.file, trigger, keys: stored.length, usable }, 'reloaded the API keys');
      if (this.options.production && usable === 0) logger.warn({ file: this.file }, 'keys.json now holds no usable API key: every request with a key is refused');
      return { applied: true, keys: stored.length, usable };
    } catch (error) {
      const problems = error instanceof ConfigError && error.problems.length > 0 ? error.problems : [(error as Error).message];
      logger.error({ file: this.file, trigger, problems }, 'keys.json is not valid; the API keys stay as they were');
      return { applied: false, reason: 'invalid', problems };
    }
  }

  /** Watches the configuration folder; a change reloads after the debounce. */
  watch(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.options.configDir, { persistent: false }, () => this.schedule());
      this.watcher.on('error', (error) => {
        this.options.logger.warn({ err: error, dir: this.options.configDir }, 'cannot watch the configuration folder any more; send SIGHUP to reload keys.json');
        this.stopWatching();
      });
    } catch (error) {
      this.options.logger.warn({ err: error, dir: this.options.configDir }, 'cannot watch the configuration folder; send SIGHUP to reload keys.json');
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload('file change');
    }, this.options.debounceMs ?? 250);
    this.timer.unref();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  close(): void {
    this.stopWatching();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
