import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '#shared/errors.js';

/** The lock file in a data folder; it holds no data and is never backed up. */
export const DATA_LOCK_FILE = 'kinema.lock';

export interface DataLock {
  readonly file: string;
  release(): void;
}

const isBusy = (error: unknown) =>
  error instanceof Error && /^SQLITE_(BUSY|LOCKED)/.test((error as { code?: string }).code ?? '');

/**
 * Claims a data folder for one process: a running server, or a restore writing into it. The claim
 * is an exclusive SQLite (POSIX fcntl) lock on `<dir>/kinema.lock`, held by an open transaction:
 * the kernel drops it when the process ends, even by SIGKILL or a power cut, so a stale lock
 * cannot keep a folder "in use" and no pid has to be trusted. Within one process a second claim
 * fails as well (SQLite tracks locks per connection). Throws AppError `conflict` when taken.
 */
export function lockDataFolder(dir: string): DataLock {
  const file = join(dir, DATA_LOCK_FILE);
  const db = new Database(file, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (isBusy(error)) {
      throw new AppError('conflict', `the data folder ${dir} is in use by another Kinema process (it holds ${file})`);
    }
    throw error;
  }
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      db.close(); // closing ends the open transaction and drops the lock
    },
  };
}

/** Whether some process (this one included) holds the data folder's lock right now. */
export function isDataFolderLocked(dir: string): boolean {
  const file = join(dir, DATA_LOCK_FILE);
  if (!existsSync(file)) return false;
  try {
    lockDataFolder(dir).release();
    return false;
  } catch (error) {
    if (error instanceof AppError && error.code === 'conflict') return true;
    throw error;
  }
}
