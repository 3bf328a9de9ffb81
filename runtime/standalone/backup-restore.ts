import { mkdir, open, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AppError } from '#shared/errors.js';
import { DATA_LOCK_FILE, isDataFolderLocked, lockDataFolder } from '#platform/local/data-lock.js';
import { fsyncDir, mkdirDurable } from '#platform/local/durable-fs.js';
import {
  BackupDamaged,
  BackupRefused,
  DATA_FOLDER,
  copyHashing,
  emptyOut,
  isErrno,
  readManifest,
  requireEmpty,
} from './backup-manifest.js';
import type { BackupSummary } from './backup-manifest.js';

/**
 * Restores a backup into `dataDir`, which must be empty (or new) and not in use: the server is
 * stopped. Every file is checked against the manifest's size and SHA-256 as it is copied; on any
 * mismatch the folder is emptied again and BackupDamaged thrown, so a restore is all or nothing.
 * The folder is locked for the duration, so a server started meanwhile refuses to run on it.
 */
export async function restoreDataFolder(options: { backupDir: string; dataDir: string }): Promise<BackupSummary> {
  const started = performance.now();
  const backupDir = resolve(options.backupDir);
  const dataDir = resolve(options.dataDir);
  const manifest = await readManifest(backupDir);
  await mkdirDurable(dataDir);
  if (isDataFolderLocked(dataDir)) {
    throw new BackupRefused(`the data folder ${dataDir} is in use: stop the Kinema server first`);
  }
  await requireEmpty(dataDir, 'the data folder', true);
  let lock;
  try {
    lock = lockDataFolder(dataDir);
  } catch (error) {
    if (error instanceof AppError && error.code === 'conflict') throw new BackupRefused(error.message);
    throw error;
  }
  const folders = new Set<string>([dataDir]);
  try {
    for (const file of manifest.files) {
      const from = join(backupDir, DATA_FOLDER, ...file.path.split('/'));
      const to = join(dataDir, ...file.path.split('/'));
      await mkdir(dirname(to), { recursive: true, mode: 0o700 }); // keys live here: private, like the files
      for (let dir = dirname(to); dir.startsWith(dataDir); dir = dirname(dir)) folders.add(dir);
      let source: FileHandle;
      try {
        source = await open(from, 'r');
      } catch (error) {
        if (isErrno(error, 'ENOENT'))
          throw new BackupDamaged(`the backup lacks ${file.path}, which its manifest lists`);
        throw error;
      }
      let copied;
      try {
        const out = await open(to, 'wx', 0o600);
        try {
          copied = await copyHashing(source, out);
        } finally {
          await out.close();
        }
      } finally {
        await source.close();
      }
      if (copied.size !== file.size || copied.sha256 !== file.sha256) {
        throw new BackupDamaged(
          `${file.path} in the backup does not match its manifest (${copied.size} bytes, SHA-256 ${copied.sha256.slice(0, 12)}…; expected ${file.size} bytes, ${file.sha256.slice(0, 12)}…)`,
        );
      }
      await utimes(to, new Date(), file.mtimeMs / 1000);
    }
    for (const folder of [...folders].sort((a, b) => b.length - a.length)) await fsyncDir(folder);
  } catch (error) {
    await emptyOut(dataDir, [DATA_LOCK_FILE]);
    throw error;
  } finally {
    lock.release();
  }
  return {
    manifest,
    databases: manifest.files.filter((file) => file.kind === 'sqlite').length,
    files: manifest.files.length,
    bytes: manifest.files.reduce((sum, file) => sum + file.size, 0),
    ms: performance.now() - started,
  };
}
