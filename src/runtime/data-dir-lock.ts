/**
 * The embedded store (PGlite in MEDCOM_DATA_DIR) is one process's: two processes writing one PGlite
 * folder corrupt it, and the second would take over the first's queue jobs. A lock file holding the
 * owner's pid is made with O_EXCL (atomic: of two processes starting together exactly one creates it);
 * a lock whose pid is no longer running (a crash, kill -9) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'medcom-gateway.lock';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(`the embedded store in ${dataDir} is in use by process ${holderPid}: stop it, or give this process another MEDCOM_DATA_DIR (or a DATABASE_URL)`);
  }
}

export interface DataDirLock {
  release(): void;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Moves a stale lock out of the way. Renaming is atomic, so of several processes recovering the same
 * stale lock one moves it; the others find no file and race on O_EXCL like any start.
 */
function removeStale(path: string, stalePid: number | undefined): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  // Moved a lock another process made in between (not the stale one we read): put it back.
  if (holderOf(aside) !== stalePid) renameSync(aside, path);
  else unlinkSync(aside);
}

/** Takes the data folder's lock, or throws DataDirInUseError naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path)) {
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (holderOf(path) === process.pid) unlinkSync(path);
        },
      };
    }
    const holder = holderOf(path);
    if (holder !== undefined && isRunning(holder)) throw new DataDirInUseError(dataDir, holder);
    // A file without a pid is being written by a process starting this very moment: give it a little
    // time; still empty after that, it is the leftover of a crash and as stale as a dead pid.
    if (holder === undefined && attempt < 3) {
      pause(20);
      continue;
    }
    removeStale(path, holder);
  }
  throw new Error(`could not take the lock ${path}: other processes keep taking it`);
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
