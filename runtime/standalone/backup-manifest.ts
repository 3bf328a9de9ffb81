import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { AppError } from '#shared/errors.js';
import { DATA_LOCK_FILE } from '#platform/local/data-lock.js';
import { mkdirDurable } from '#platform/local/durable-fs.js';

/*
 * What `kinema backup` writes and `kinema restore` reads: a folder with `data/` (a copy of the
 * data folder) and `manifest.json` (written last: a folder without it is not a backup), plus the
 * copying, checking and refusing both commands share.
 */

export const MANIFEST_FILE = 'manifest.json';
export const DATA_FOLDER = 'data';

export const KINEMA_VERSION = z
  .object({ version: z.string() })
  .parse(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))).version;

const RelativePath = z
  .string()
  .min(1)
  .refine(
    (path) => !isAbsolute(path) && !path.includes('\\') && path.split('/').every((s) => s && s !== '.' && s !== '..'),
    'a path inside the data folder',
  );

export const BackupManifest = z.object({
  format: z.literal('kinema-backup'),
  formatVersion: z.literal(1),
  kinemaVersion: z.string(),
  /** The instant the databases were copied at. */
  snapshotAt: z.iso.datetime(),
  /** When the copy ended. */
  completedAt: z.iso.datetime(),
  source: z.string(),
  files: z.array(
    z.object({
      path: RelativePath,
      kind: z.enum(['sqlite', 'file']),
      size: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      mtimeMs: z.number(),
    }),
  ),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** The command cannot run against this folder as it is (not empty, in use); nothing was changed. */
export class BackupRefused extends Error {
  override name = 'BackupRefused';
}

/** The backup does not match its manifest (a file missing, cut short or altered). */
export class BackupDamaged extends Error {
  override name = 'BackupDamaged';
}

export interface BackupSummary {
  manifest: BackupManifest;
  databases: number;
  files: number;
  bytes: number;
  ms: number;
}

export const isErrno = (error: unknown, ...codes: string[]) =>
  error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');

export const CHUNK = 4 * 1024 ** 2;

/**
 * Copies bytes from one open file to another, hashing them, then flushes the copy; returns size and
 * SHA-256. Two buffers: the next chunk is read while this one is hashed and written.
 */
export async function copyHashing(from: FileHandle, to: FileHandle): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let size = 0;
  let next = 0;
  let reading = from.read(buffers[next]!, 0, CHUNK, size);
  for (;;) {
    const { bytesRead, buffer } = await reading;
    if (bytesRead === 0) break;
    size += bytesRead;
    next ^= 1;
    reading = from.read(buffers[next]!, 0, CHUNK, size);
    const chunk = buffer.subarray(0, bytesRead);
    hash.update(chunk);
    let written = 0;
    while (written < bytesRead) written += (await to.write(chunk, written, bytesRead - written)).bytesWritten;
  }
  await to.sync();
  return { size, sha256: hash.digest('hex') };
}

/** Makes `dir` if needed and checks that it holds nothing (an unheld lock file aside, when allowed). */
export async function requireEmpty(dir: string, what: string, allowLockFile: boolean): Promise<void> {
  await mkdirDurable(dir);
  const entries = (await readdir(dir)).filter((name) => !(allowLockFile && name === DATA_LOCK_FILE));
  if (entries.length > 0) {
    throw new BackupRefused(
      `${what} ${dir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); give an empty or new folder`,
    );
  }
}

/** Removes what a failed run wrote into a folder that was empty when it began. */
export async function emptyOut(dir: string, keep: string[] = []): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!keep.includes(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

export async function readManifest(backupDir: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(backupDir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) {
      throw new AppError('not_found', `${backupDir} is not a Kinema backup: it has no ${MANIFEST_FILE}`);
    }
    throw error;
  }
  let parsed;
  try {
    parsed = BackupManifest.safeParse(JSON.parse(text));
  } catch {
    throw new BackupDamaged(`${join(backupDir, MANIFEST_FILE)} is not valid JSON`);
  }
  if (!parsed.success) {
    throw new BackupDamaged(
      `${join(backupDir, MANIFEST_FILE)} is not a Kinema backup manifest: ${parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}
