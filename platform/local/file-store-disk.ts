import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { AppError, conflict, invalidInput } from '#shared/errors.js';
import type { ObjectInfo } from '#shared/ports/object-store.js';
import { fsyncDir, mkdirDurable } from './durable-fs.js';
import { md5Stream } from './md5-thread.js';
import { isErrno, quoted } from './file-store-inputs.js';
import { PartList } from './file-store-parts.js';

/** The sidecar of an object; size and mtimeMs tie it to the data file it describes. */
const Meta = z.object({
  contentType: z.string().optional(),
  etag: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  lastModified: z.string(),
  /**
   * Set for a completed multipart object: its bytes are these part files and the data file holds
   * only this list (`fileSize` bytes of it), so `size` is the object's and not the data file's.
   */
  parts: PartList.extend({ fileSize: z.number() }).optional(),
});
type Meta = z.infer<typeof Meta>;

/** An object as stored: what the port reports, and its part list when it is kept as parts. */
export interface StoredObject {
  info: ObjectInfo;
  parts?: PartList;
}

/** A body streamed to a temp file: where it is, its MD5, size and mtime. */
export interface WrittenTemp {
  path: string;
  md5: Buffer;
  size: number;
  mtimeMs: number;
}

/**
 * The file store's disk layout under one root (one file system, so renames are atomic):
 * `objects/<key>` the data, `meta/<key>.json` its sidecar, `multipart/<uploadId>/` the uploads
 * in progress, `tmp/` where every write starts before it is renamed into place.
 */
export function storeDisk(options: { root: string; now: () => number }) {
  const root = resolve(options.root);
  const { now } = options;
  const dirs = {
    objects: join(root, 'objects'),
    meta: join(root, 'meta'),
    multipart: join(root, 'multipart'),
    /** Completed multipart objects' parts, one folder per upload (`file-store-parts.ts`). */
    parts: join(root, 'parts'),
    tmp: join(root, 'tmp'),
  };
  let ready: Promise<void> | undefined;
  const ensureDirs = () =>
    (ready ??= Promise.all(Object.values(dirs).map((dir) => mkdirDurable(dir))).then(() => undefined));

  /** Joins a validated key under a base folder, refusing anything that would resolve outside it. */
  const under = (base: string, key: string, suffix = '') => {
    const path = resolve(base, ...key.split('/')) + suffix;
    if (!path.startsWith(base + sep)) throw invalidInput('the object key points outside the store');
    return path;
  };
  const dataPath = (key: string) => under(dirs.objects, key);
  const metaPath = (key: string) => under(dirs.meta, key, '.json');
  const partsDir = (upload: string) => under(dirs.parts, upload);

  // Temp files being written right now; the sweeper removes only the others (left by a crash).
  const activeTemps = new Set<string>();
  const newTemp = () => {
    const path = join(dirs.tmp, `${randomUUID()}.tmp`);
    activeTemps.add(path);
    return path;
  };
  const dropTemp = async (path: string) => {
    activeTemps.delete(path);
    await rm(path, { force: true });
  };
  /** The temp file was renamed into place: it is no longer the sweeper's or the writer's to drop. */
  const keepTemp = (path: string) => activeTemps.delete(path);

  /**
   * Streams a body into a fresh temp file (flushed to disk before close), hashing and counting as
   * it goes; nothing is buffered beyond the stream's own chunks. The caller renames or drops it.
   */
  const streamToTemp = async (
    body: Readable,
    limits: { maxBytes: number; declaredLength?: number },
  ): Promise<WrittenTemp> => {
    await ensureDirs();
    const path = newTemp();
    const md5 = md5Stream();
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limits.maxBytes) {
          done(new AppError('payload_too_large', `the body is larger than the ${limits.maxBytes} bytes allowed`));
        } else if (limits.declaredLength !== undefined && size > limits.declaredLength) {
          done(invalidInput(`the body is longer than its declared length of ${limits.declaredLength} bytes`));
        } else {
          const waiting = md5.update(chunk);
          if (waiting) void waiting.then(() => done(null, chunk));
          else done(null, chunk);
        }
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(path, { flags: 'wx', flush: true, highWaterMark: 1024 * 1024 }));
      if (limits.declaredLength !== undefined && size !== limits.declaredLength) {
        throw invalidInput(`the body was ${size} bytes but its declared length is ${limits.declaredLength}`);
      }
      const [digest, { mtimeMs }] = await Promise.all([md5.digest(), stat(path)]);
      return { path, md5: digest, size, mtimeMs };
    } catch (error) {
      md5.discard();
      await dropTemp(path);
      throw error;
    }
  };

  /** A small file written whole to a fresh temp file and flushed; the caller renames or drops it. */
  const writeTemp = async (text: string): Promise<{ path: string; size: number; mtimeMs: number }> => {
    await ensureDirs();
    const path = newTemp();
    try {
      await writeFile(path, text, { flag: 'wx', flush: true });
      const { size, mtimeMs } = await stat(path);
      return { path, size, mtimeMs };
    } catch (error) {
      await dropTemp(path);
      throw error;
    }
  };

  const writeJsonAtomically = async (path: string, value: unknown) => {
    const temp = newTemp();
    try {
      await writeFile(temp, JSON.stringify(value), { flag: 'wx', flush: true });
      await rename(temp, path);
      await fsyncDir(dirname(path)); // the new name is durable before anyone is told
    } finally {
      await dropTemp(temp);
    }
  };

  const infoOf = (key: string, meta: Meta): ObjectInfo => ({
    key,
    size: meta.size,
    etag: meta.etag,
    ...(meta.contentType ? { contentType: meta.contentType } : {}),
    lastModified: meta.lastModified,
  });

  const readMeta = async (key: string): Promise<Meta | undefined> => {
    try {
      return Meta.parse(JSON.parse(await readFile(metaPath(key), 'utf8')));
    } catch {
      return undefined;
    }
  };

  /** Drops the part folder an object no longer uses (replaced or deleted). */
  const dropParts = async (previous: Meta | undefined, keep?: string) => {
    if (!previous?.parts || previous.parts.upload === keep) return;
    await rm(partsDir(previous.parts.upload), { recursive: true, force: true });
  };

  /**
   * Moves a finished temp file into place as `key`: data first, then its sidecar. For an object
   * kept as parts (`facts.parts`; the temp file is its part list) the sidecar goes first: until it
   * names the data file, that file would read as the list's own bytes, never as the object's.
   */
  const commitObject = async (
    key: string,
    temp: string,
    facts: {
      etag: string;
      size: number;
      mtimeMs: number;
      contentType?: string;
      parts?: PartList & { fileSize: number };
    },
  ): Promise<ObjectInfo> => {
    const meta: Meta = { ...facts, lastModified: new Date(now()).toISOString() };
    const previous = await readMeta(key).catch(() => undefined);
    try {
      await mkdirDurable(dirname(dataPath(key)));
      await mkdirDurable(dirname(metaPath(key)));
      if (meta.parts) await writeJsonAtomically(metaPath(key), meta);
      await rename(temp, dataPath(key));
      await fsyncDir(dirname(dataPath(key)));
    } catch (error) {
      await dropTemp(temp);
      if (isErrno(error, 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY')) {
        throw conflict(`cannot store ${key}: a key and a key "folder" of the same name cannot both exist here`);
      }
      throw error;
    }
    keepTemp(temp);
    if (!meta.parts) await writeJsonAtomically(metaPath(key), meta);
    await dropParts(previous, meta.parts?.upload);
    return infoOf(key, meta);
  };

  /**
   * The sidecar of a data file, trusted only if it matches the file's size and mtime; otherwise (a
   * crash between the two renames, or a concurrent rewrite) the ETag is recomputed from the data.
   */
  const readStored = async (key: string, data: { size: number; mtimeMs: number }): Promise<StoredObject> => {
    const meta = await readMeta(key);
    const fileSize = meta?.parts ? meta.parts.fileSize : meta?.size;
    // Within 10 µs, not equal: a backup restored with utimes() brings mtimes back only to the microsecond.
    if (meta && fileSize === data.size && Math.abs(meta.mtimeMs - data.mtimeMs) < 0.01) {
      return meta.parts
        ? { info: infoOf(key, meta), parts: { upload: meta.parts.upload, files: meta.parts.files } }
        : { info: infoOf(key, meta) };
    }
    const md5 = createHash('md5');
    await pipeline(createReadStream(dataPath(key)), md5);
    return {
      info: infoOf(key, {
        ...(meta?.contentType ? { contentType: meta.contentType } : {}),
        etag: quoted(md5.digest('hex')),
        size: data.size,
        mtimeMs: data.mtimeMs,
        lastModified: new Date(data.mtimeMs).toISOString(),
      }),
    };
  };

  const readInfo = async (key: string, data: { size: number; mtimeMs: number }): Promise<ObjectInfo> =>
    (await readStored(key, data)).info;

  const statObject = async (key: string) => {
    try {
      const info = await stat(dataPath(key));
      return info.isFile() ? info : undefined;
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
  };

  const removeObject = async (key: string) => {
    const previous = await readMeta(key).catch(() => undefined);
    await rm(dataPath(key), { force: true });
    await rm(metaPath(key), { force: true });
    await dropParts(previous);
    for (const dir of [dirname(dataPath(key)), dirname(metaPath(key))]) {
      await fsyncDir(dir).catch((error: unknown) => {
        if (!isErrno(error, 'ENOENT', 'ENOTDIR')) throw error;
      });
    }
  };

  /** Temp files nobody in this process is writing were left by a crash. */
  const sweepTemps = async () => {
    await ensureDirs();
    for (const name of await readdir(dirs.tmp)) {
      const path = join(dirs.tmp, name);
      if (!activeTemps.has(path)) await unlink(path).catch(() => undefined);
    }
  };

  return {
    dirs,
    ensureDirs,
    under,
    dataPath,
    partsDir,
    readMeta,
    streamToTemp,
    writeTemp,
    dropTemp,
    keepTemp,
    writeJsonAtomically,
    commitObject,
    readInfo,
    readStored,
    statObject,
    removeObject,
    sweepTemps,
  };
}

export type StoreDisk = ReturnType<typeof storeDisk>;
