import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, stat, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '#shared/errors.js';
import { DATA_LOCK_FILE } from '#platform/local/data-lock.js';
import { fsyncDir, replaceFileSync } from '#platform/local/durable-fs.js';
import {
  BackupRefused,
  CHUNK,
  DATA_FOLDER,
  KINEMA_VERSION,
  MANIFEST_FILE,
  copyHashing,
  emptyOut,
  isErrno,
  requireEmpty,
} from './backup-manifest.js';
import type { BackupManifest, BackupSummary } from './backup-manifest.js';

export { BackupDamaged, BackupManifest, BackupRefused, readManifest } from './backup-manifest.js';
export type { BackupSummary } from './backup-manifest.js';
export { restoreDataFolder } from './backup-restore.js';

/*
 * `kinema backup`: an online, consistent copy of a standalone data folder (`kinema restore` is in
 * backup-restore.ts, the manifest and the shared copying in backup-manifest.ts).
 *
 * A backup folder holds `manifest.json` (written last: a folder without it is not a backup) and
 * `data/`, a copy of the data folder. Databases are found, not listed: every `*.db` file outside
 * the object store that starts with SQLite's header, so a service added later is backed up too.
 *
 * Consistency: the databases are copied as of ONE instant. The backup takes the write lock of every
 * database at once (for milliseconds: writers wait, readers do not), opens a read transaction on
 * each, lets the writers go, and copies each database from its read transaction with SQLite's
 * online backup API. What it copies is therefore exactly what a crash at that instant would have
 * left, which the outbox, the dispatcher's delivery table and the idempotent consumers already
 * recover from (runtime/standalone/crash.test.ts proves it). The object store's files are copied
 * after that instant: objects are written before the records that name them, so every object the
 * databases refer to is there (an object created later is an unreferenced extra). Keys, secrets
 * and the dev clock are plain files.
 *
 * Left out: SQLite's -wal/-shm/-journal files (their content is inside the snapshot), temporary
 * files, the object store's tmp/ and the transcoder's scratch folder media-work/ (a transcode cut
 * short restarts by itself), and the folder lock.
 */

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Writers of the server wait up to 5 s (busy_timeout); the backup waits as long for its lock. */
const LOCK_WAIT_MS = 5000;

interface Entry {
  /** Relative to the data folder, with "/" separators (the manifest's form). */
  path: string;
  absolute: string;
}

const toManifestPath = (path: string) => path.split(sep).join('/');

function leftOut(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return (
    path === DATA_LOCK_FILE ||
    path === 'media-work' ||
    path.startsWith('media-work/') ||
    path === 'objects/tmp' ||
    path.startsWith('objects/tmp/') ||
    /-(wal|shm|journal)$/.test(name) ||
    name.endsWith('.tmp')
  );
}

async function walk(root: string): Promise<Entry[]> {
  const found: Entry[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return; // removed while we looked (an upload completed)
      throw error;
    }
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      const path = toManifestPath(relative(root, absolute));
      if (leftOut(path)) continue;
      if (entry.isDirectory()) await visit(absolute);
      else if (entry.isFile()) found.push({ path, absolute });
    }
  };
  await visit(root);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function isSqlite(entry: Entry): Promise<boolean> {
  if (!entry.path.endsWith('.db') || entry.path.startsWith('objects/')) return false;
  const handle = await open(entry.absolute, 'r');
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    return bytesRead === header.length && header.equals(SQLITE_HEADER);
  } finally {
    await handle.close();
  }
}

async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const handle = await open(path, 'r+');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    await handle.sync(); // SQLite's backup wrote it; make sure it is on disk before the manifest says so
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/**
 * Opens a read transaction on every database at one instant: all their write locks are taken
 * together (synchronously, so nothing in this process can write between), a read transaction is
 * begun on each, and the write locks are let go. Returns the readers, each pinned to that snapshot.
 */
function snapshot(files: string[]): Database.Database[] {
  const readers = files.map((file) => new Database(file, { fileMustExist: true, timeout: LOCK_WAIT_MS }));
  const writers = files.map((file) => new Database(file, { fileMustExist: true, timeout: LOCK_WAIT_MS }));
  try {
    for (const writer of writers) writer.exec('BEGIN IMMEDIATE');
    for (const reader of readers) {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM sqlite_schema').get(); // the read transaction starts at the first read
    }
  } catch (error) {
    for (const reader of readers) reader.close();
    throw error;
  } finally {
    for (const writer of writers) writer.close(); // closing rolls the empty write transactions back
  }
  return readers;
}

/**
 * Copies the data folder `dataDir` into `target` (new or empty), online: the server may run and
 * write meanwhile. Throws BackupRefused (target not empty or inside the data folder), AppError
 * not_found (no data folder, or no databases in it).
 */
export async function backupDataFolder(options: {
  dataDir: string;
  target: string;
  now?: () => number;
}): Promise<BackupSummary> {
  const now = options.now ?? Date.now;
  const started = performance.now();
  const dataDir = resolve(options.dataDir);
  const target = resolve(options.target);
  if (!existsSync(dataDir)) throw new AppError('not_found', `there is no data folder at ${dataDir}`);
  if (target === dataDir || target.startsWith(dataDir + sep)) {
    throw new BackupRefused(`the backup folder ${target} is inside the data folder ${dataDir}; put it elsewhere`);
  }
  if (dataDir.startsWith(target + sep)) {
    throw new BackupRefused(`the backup folder ${target} contains the data folder ${dataDir}; put it elsewhere`);
  }
  const entries = await walk(dataDir);
  const databases: Entry[] = [];
  const plain: Entry[] = [];
  for (const entry of entries) ((await isSqlite(entry)) ? databases : plain).push(entry);
  if (databases.length === 0) {
    throw new AppError('not_found', `${dataDir} holds no Kinema databases: is KINEMA_DATA set to the data folder?`);
  }
  await requireEmpty(target, 'the backup folder', false);

  const dataTarget = join(target, DATA_FOLDER);
  const folders = new Set<string>([target]);
  const destination = async (path: string) => {
    const file = join(dataTarget, ...path.split('/'));
    await mkdir(dirname(file), { recursive: true });
    for (let dir = dirname(file); dir.startsWith(target); dir = dirname(dir)) folders.add(dir);
    return file;
  };
  const files: BackupManifest['files'] = [];
  try {
    const readers = snapshot(databases.map((entry) => entry.absolute));
    const snapshotAt = new Date(now()).toISOString();
    try {
      for (const [index, entry] of databases.entries()) {
        const reader = readers[index]!;
        const file = await destination(entry.path);
        await reader.backup(file);
        reader.exec('COMMIT');
        reader.close();
        const { size, sha256 } = await hashFile(file);
        files.push({ path: entry.path, kind: 'sqlite', size, sha256, mtimeMs: (await stat(file)).mtimeMs });
      }
    } finally {
      for (const reader of readers) if (reader.open) reader.close();
    }

    for (const entry of plain) {
      let source: FileHandle;
      try {
        source = await open(entry.absolute, 'r');
      } catch (error) {
        if (isErrno(error, 'ENOENT')) continue; // deleted since the walk (a part of a completed upload)
        throw error;
      }
      try {
        const facts = await source.stat();
        const file = await destination(entry.path);
        const out = await open(file, 'wx', facts.mode & 0o777);
        let copied;
        try {
          copied = await copyHashing(source, out);
        } finally {
          await out.close();
        }
        // The object store ties a sidecar to its data file's size and mtime: keep the mtime.
        await utimes(file, facts.atime, facts.mtimeMs / 1000);
        files.push({ path: entry.path, kind: 'file', ...copied, mtimeMs: facts.mtimeMs });
      } finally {
        await source.close();
      }
    }
    for (const folder of [...folders].sort((a, b) => b.length - a.length)) await fsyncDir(folder);

    const manifest: BackupManifest = {
      format: 'kinema-backup',
      formatVersion: 1,
      kinemaVersion: KINEMA_VERSION,
      snapshotAt,
      completedAt: new Date(now()).toISOString(),
      source: dataDir,
      files,
    };
    replaceFileSync(join(target, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return {
      manifest,
      databases: databases.length,
      files: files.length,
      bytes: files.reduce((sum, file) => sum + file.size, 0),
      ms: performance.now() - started,
    };
  } catch (error) {
    await emptyOut(target);
    throw error;
  }
}
