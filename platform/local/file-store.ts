import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { AppError, conflict, forbidden, invalidInput } from '#shared/errors.js';
import { Id, newId } from '#shared/ids.js';
import { CompletedParts, MULTIPART, ObjectKey, PartNumber } from '#shared/ports/object-store.js';
import type { ObjectInfo, ObjectStore, UploadedPart } from '#shared/ports/object-store.js';
import { fsyncDir, mkdirDurable } from './durable-fs.js';

export interface FileStoreOptions {
  /** Folder holding everything: objects/, meta/, multipart/, tmp/ (one file system, so renames are atomic). */
  root: string;
  /** Origin the browser reaches the standalone server at, e.g. http://localhost:3000. */
  publicUrl: string;
  /** HMAC key for presigned URLs. */
  secret: string;
  now: () => number;
  /** Where the store's HTTP listener is mounted; default '/_store'. */
  pathPrefix?: string;
}

/** What a presigned URL allows, once its signature and expiry have been checked. */
export type VerifiedRequest =
  | { kind: 'object'; method: 'GET' | 'PUT'; key: string; contentType?: string; expiresAt: number }
  | { kind: 'part'; method: 'PUT'; key: string; uploadId: string; partNumber: number; expiresAt: number };

export type FileStore = ObjectStore & {
  readonly pathPrefix: string;
  /** Checks a presigned URL (signature, method, expiry); throws AppError forbidden / gone / invalid_input. */
  verifyUrl(method: 'GET' | 'PUT', url: URL): VerifiedRequest;
  /** Streams one part to disk (hashing as it goes) and makes it visible atomically, replacing an earlier one. */
  writePart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    declaredLength?: number,
  ): Promise<UploadedPart>;
  /** Removes multipart uploads created more than `olderThanMs` ago; returns how many. */
  sweepAbandoned(olderThanMs: number): Promise<number>;
};

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600; // S3's limit for SigV4 presigned URLs
const SIGNATURE_VERSION = 'kinema-store-v1';
const PART_FILE = /^(\d{5})\.([0-9a-f]{32})$/;

const ContentType = z
  .string()
  .max(255)
  .regex(/^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=[\w.+"-]+)*$/, 'not a valid content type');
const Expiry = z.number().int().min(1).max(MAX_PRESIGN_SECONDS);
const ListPrefix = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z0-9._/-]*$/, 'a prefix holds only letters, digits, ".", "_", "-" and "/"');

const Manifest = z.object({ key: z.string(), contentType: z.string(), createdAt: z.number() });
type Manifest = z.infer<typeof Manifest>;

/** The sidecar of an object; size and mtimeMs tie it to the data file it describes. */
const Meta = z.object({
  contentType: z.string().optional(),
  etag: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  lastModified: z.string(),
});
type Meta = z.infer<typeof Meta>;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(`${what}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
  return result.data;
}

const validKey = (key: string) => parse(ObjectKey, key, `invalid object key ${JSON.stringify(key.slice(0, 80))}`);
const validUploadId = (uploadId: string) => parse(Id, uploadId, 'invalid upload id');
const quoted = (hex: string) => `"${hex}"`;
/** ETags arrive quoted, unquoted or weak-prefixed depending on the client; compare the bare value. */
const bareEtag = (etag: string) =>
  etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();

const isErrno = (error: unknown, ...codes: string[]) =>
  error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');

/**
 * Appends files into a new one through one reused buffer (no stream listeners pile up over
 * thousands of parts, nothing is held beyond the buffer), then flushes it to disk.
 */
async function concatenate(target: string, sources: string[]): Promise<number> {
  const out = await open(target, 'wx');
  const buffer = Buffer.allocUnsafe(1024 ** 2);
  let size = 0;
  try {
    for (const source of sources) {
      const input = await open(source, 'r');
      try {
        for (;;) {
          const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          let written = 0;
          while (written < bytesRead) {
            written += (await out.write(buffer, written, bytesRead - written)).bytesWritten;
          }
          size += bytesRead;
        }
      } finally {
        await input.close();
      }
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return size;
}

/**
 * The standalone ObjectStore: objects are files under `root/objects/<key>` with a JSON sidecar
 * under `root/meta/<key>.json`; multipart uploads are folders under `root/multipart/<uploadId>/`
 * holding a manifest and one file per part named `<number>.<md5>`, so a part's bytes and its ETag
 * become visible in one rename. Every write goes to `root/tmp/` first and is renamed into place.
 *
 * Presigned URLs are `${publicUrl}${pathPrefix}/<key>?method&expires[&uploadId&partNumber]
 * [&contentType]&signature`, the signature an HMAC-SHA256 over all of them, checked by
 * `verifyUrl` (the HTTP side is `fileStoreListener`). Like S3's, a part URL may be used any
 * number of times until it expires: re-sending a part replaces it, which is what resuming needs.
 *
 * Local limitation: a key cannot also be a "folder" of other keys ("a" and "a/b"); such a write
 * fails with `conflict`.
 */
export function fileStore(options: FileStoreOptions): FileStore {
  const root = resolve(options.root);
  const pathPrefix = options.pathPrefix ?? '/_store';
  if (!/^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(pathPrefix)) {
    throw new Error(`fileStore: pathPrefix must look like "/_store", not ${JSON.stringify(pathPrefix)}`);
  }
  if (options.secret.length < 16) throw new Error('fileStore: the secret must be at least 16 characters');
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const { now, secret } = options;
  const dirs = {
    objects: join(root, 'objects'),
    meta: join(root, 'meta'),
    multipart: join(root, 'multipart'),
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
  const uploadDir = (uploadId: string) => under(dirs.multipart, validUploadId(uploadId));

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

  // One queue per upload: part commits, listing, completion, abort and sweeping never interleave.
  const locks = new Map<string, Promise<unknown>>();
  const withUploadLock = <T>(uploadId: string, task: () => Promise<T>): Promise<T> => {
    const previous = locks.get(uploadId) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    locks.set(uploadId, tail);
    void tail.then(() => {
      if (locks.get(uploadId) === tail) locks.delete(uploadId);
    });
    return result;
  };

  /**
   * Streams a body into a fresh temp file (flushed to disk before close), hashing and counting as
   * it goes; nothing is buffered beyond the stream's own chunks. The caller renames or drops it.
   */
  const streamToTemp = async (body: Readable, limits: { maxBytes: number; declaredLength?: number }) => {
    await ensureDirs();
    const path = newTemp();
    const md5 = createHash('md5');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limits.maxBytes) {
          done(new AppError('payload_too_large', `the body is larger than the ${limits.maxBytes} bytes allowed`));
        } else if (limits.declaredLength !== undefined && size > limits.declaredLength) {
          done(invalidInput(`the body is longer than its declared length of ${limits.declaredLength} bytes`));
        } else {
          md5.update(chunk);
          done(null, chunk);
        }
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(path, { flags: 'wx', flush: true, highWaterMark: 1024 * 1024 }));
      if (limits.declaredLength !== undefined && size !== limits.declaredLength) {
        throw invalidInput(`the body was ${size} bytes but its declared length is ${limits.declaredLength}`);
      }
      const { mtimeMs } = await stat(path);
      return { path, md5: md5.digest(), size, mtimeMs };
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

  /** Moves a finished temp file into place as `key`: data first, then its sidecar. */
  const commitObject = async (
    key: string,
    temp: string,
    facts: { etag: string; size: number; mtimeMs: number; contentType?: string },
  ): Promise<ObjectInfo> => {
    const meta: Meta = { ...facts, lastModified: new Date(now()).toISOString() };
    try {
      await mkdirDurable(dirname(dataPath(key)));
      await mkdirDurable(dirname(metaPath(key)));
      await rename(temp, dataPath(key));
      await fsyncDir(dirname(dataPath(key)));
    } catch (error) {
      await dropTemp(temp);
      if (isErrno(error, 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY')) {
        throw conflict(`cannot store ${key}: a key and a key "folder" of the same name cannot both exist here`);
      }
      throw error;
    }
    activeTemps.delete(temp);
    await writeJsonAtomically(metaPath(key), meta);
    return infoOf(key, meta);
  };

  const infoOf = (key: string, meta: Meta): ObjectInfo => ({
    key,
    size: meta.size,
    etag: meta.etag,
    ...(meta.contentType ? { contentType: meta.contentType } : {}),
    lastModified: meta.lastModified,
  });

  /**
   * The sidecar of a data file, trusted only if it matches the file's size and mtime; otherwise (a
   * crash between the two renames, or a concurrent rewrite) the ETag is recomputed from the data.
   */
  const readMeta = async (key: string, data: { size: number; mtimeMs: number }): Promise<Meta> => {
    let meta: Meta | undefined;
    try {
      meta = Meta.parse(JSON.parse(await readFile(metaPath(key), 'utf8')));
    } catch {
      meta = undefined;
    }
    // Within 10 µs, not equal: a backup restored with utimes() brings mtimes back only to the microsecond.
    if (meta && meta.size === data.size && Math.abs(meta.mtimeMs - data.mtimeMs) < 0.01) return meta;
    const md5 = createHash('md5');
    await pipeline(createReadStream(dataPath(key)), md5);
    return {
      ...(meta?.contentType ? { contentType: meta.contentType } : {}),
      etag: quoted(md5.digest('hex')),
      size: data.size,
      mtimeMs: data.mtimeMs,
      lastModified: new Date(data.mtimeMs).toISOString(),
    };
  };

  const statObject = async (key: string) => {
    try {
      const info = await stat(dataPath(key));
      return info.isFile() ? info : undefined;
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
  };

  const sign = (fields: {
    method: string;
    key: string;
    uploadId?: string;
    partNumber?: number;
    contentType?: string;
    expires: number;
  }) =>
    createHmac('sha256', secret)
      .update(
        JSON.stringify([
          SIGNATURE_VERSION,
          fields.method,
          fields.key,
          fields.uploadId ?? '',
          fields.partNumber ?? 0,
          fields.contentType ?? '',
          fields.expires,
        ]),
      )
      .digest('base64url');

  const presign = (
    method: 'GET' | 'PUT',
    key: string,
    expiresInSeconds: number,
    extra: { uploadId?: string; partNumber?: number; contentType?: string } = {},
  ) => {
    validKey(key);
    parse(Expiry, expiresInSeconds, `expiry must be 1..${MAX_PRESIGN_SECONDS} seconds`);
    const expires = Math.floor(now() / 1000) + expiresInSeconds;
    const query = new URLSearchParams({ method, expires: String(expires) });
    if (extra.uploadId !== undefined) query.set('uploadId', extra.uploadId);
    if (extra.partNumber !== undefined) query.set('partNumber', String(extra.partNumber));
    if (extra.contentType !== undefined) query.set('contentType', extra.contentType);
    query.set('signature', sign({ method, key, expires, ...extra }));
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `${publicUrl}${pathPrefix}/${path}?${query.toString()}`;
  };

  const readManifest = async (key: string, uploadId: string): Promise<Manifest> => {
    let manifest: Manifest;
    try {
      manifest = Manifest.parse(JSON.parse(await readFile(join(uploadDir(uploadId), 'manifest.json'), 'utf8')));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('not_found', `upload ${uploadId} does not exist (it was completed, aborted or never created)`);
    }
    if (manifest.key !== key) throw new AppError('not_found', `upload ${uploadId} is not an upload of ${key}`);
    return manifest;
  };

  /** The parts on disk by number. Called under the upload's lock, so one file per number. */
  const storedParts = async (uploadId: string) => {
    const dir = uploadDir(uploadId);
    const parts = new Map<number, UploadedPart & { path: string; md5: Buffer }>();
    for (const name of await readdir(dir)) {
      const match = PART_FILE.exec(name);
      if (!match) continue;
      const path = join(dir, name);
      const { size } = await stat(path);
      const md5 = match[2] as string;
      parts.set(Number(match[1]), {
        partNumber: Number(match[1]),
        etag: quoted(md5),
        size,
        path,
        md5: Buffer.from(md5, 'hex'),
      });
    }
    return parts;
  };

  const verifyUrl = (method: 'GET' | 'PUT', url: URL): VerifiedRequest => {
    if (!url.pathname.startsWith(pathPrefix + '/')) throw forbidden('this is not a store URL');
    let key: string;
    try {
      key = url.pathname
        .slice(pathPrefix.length + 1)
        .split('/')
        .map(decodeURIComponent)
        .join('/');
    } catch {
      throw invalidInput('the object key in the URL is not validly encoded');
    }
    validKey(key);
    const single = (name: string) => {
      const values = url.searchParams.getAll(name);
      if (values.length > 1) throw forbidden(`the URL carries "${name}" more than once`);
      return values[0];
    };
    const signedMethod = single('method');
    const expiresText = single('expires');
    const uploadId = single('uploadId');
    const partText = single('partNumber');
    const contentType = single('contentType');
    const signature = single('signature');
    if (!signedMethod || !expiresText || !signature || !/^\d{1,12}$/.test(expiresText)) {
      throw forbidden('the URL is not signed (method, expires and signature are required)');
    }
    if ((uploadId === undefined) !== (partText === undefined) || (partText && !/^\d{1,5}$/.test(partText))) {
      throw forbidden('the URL has an incomplete or malformed upload part reference');
    }
    const expires = Number(expiresText);
    const partNumber = partText === undefined ? undefined : Number(partText);
    const expected = Buffer.from(
      sign({
        method: signedMethod,
        key,
        expires,
        ...(uploadId !== undefined ? { uploadId } : {}),
        ...(partNumber !== undefined ? { partNumber } : {}),
        ...(contentType !== undefined ? { contentType } : {}),
      }),
    );
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw forbidden('the URL signature does not match: it was altered, or signed for another object, upload or part');
    }
    if (signedMethod !== method) throw forbidden(`this URL is signed for ${signedMethod}, not ${method}`);
    if (Math.floor(now() / 1000) > expires) {
      throw new AppError('gone', `this URL expired at ${new Date(expires * 1000).toISOString()}; ask for a new one`);
    }
    const expiresAt = expires * 1000;
    if (uploadId !== undefined && partNumber !== undefined) {
      if (method !== 'PUT') throw forbidden('a part URL is for PUT only');
      return { kind: 'part', method, key, uploadId, partNumber, expiresAt };
    }
    return { kind: 'object', method, key, expiresAt, ...(contentType !== undefined ? { contentType } : {}) };
  };

  return {
    pathPrefix,
    verifyUrl,

    async put(key, body, putOptions = {}) {
      validKey(key);
      const contentType =
        putOptions.contentType === undefined ? undefined : parse(ContentType, putOptions.contentType, 'content type');
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      const written = await streamToTemp(source, { maxBytes: MULTIPART.maxPartSize });
      return commitObject(key, written.path, {
        etag: quoted(written.md5.toString('hex')),
        size: written.size,
        mtimeMs: written.mtimeMs,
        ...(contentType ? { contentType } : {}),
      });
    },

    async get(key, range) {
      validKey(key);
      let handle;
      try {
        handle = await open(dataPath(key), 'r');
      } catch (error) {
        if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) return undefined;
        throw error;
      }
      try {
        const data = await handle.stat();
        if (!data.isFile()) {
          await handle.close();
          return undefined;
        }
        const info = infoOf(key, await readMeta(key, data));
        let start = 0;
        let end = data.size - 1;
        if (range) {
          start = range.start;
          end = Math.min(range.end ?? data.size - 1, data.size - 1);
          if (!Number.isInteger(start) || start < 0 || start >= data.size || end < start) {
            throw invalidInput(`range ${range.start}-${range.end ?? ''} is outside the object's ${data.size} bytes`);
          }
        }
        // Reading from the handle opened above: a concurrent replace cannot mix two versions.
        // 1 MiB reads: segments are megabytes, and fewer, larger chunks stream faster through the web-stream adapters.
        const body =
          data.size === 0 ? Readable.from([]) : handle.createReadStream({ start, end, highWaterMark: 1024 * 1024 });
        if (data.size === 0) await handle.close();
        return { info, body };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async head(key) {
      validKey(key);
      const data = await statObject(key);
      return data ? infoOf(key, await readMeta(key, data)) : undefined;
    },

    async list(prefix) {
      parse(ListPrefix, prefix, 'invalid prefix');
      await ensureDirs();
      // Walk only the deepest folder the prefix names in full, then filter by the rest.
      const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      if (folder.split('/').some((segment) => segment === '..' || segment === '.')) {
        throw invalidInput('a prefix may not have a "." or ".." segment');
      }
      const start = folder ? under(dirs.objects, folder) : dirs.objects;
      const found: ObjectInfo[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (error) {
          if (isErrno(error, 'ENOENT', 'ENOTDIR')) return;
          throw error;
        }
        for (const entry of entries) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) await walk(path);
          else if (entry.isFile()) {
            const key = relative(dirs.objects, path).split(sep).join('/');
            if (!key.startsWith(prefix)) continue;
            const data = await statObject(key);
            if (data) found.push(infoOf(key, await readMeta(key, data)));
          }
        }
      };
      await walk(start);
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    async delete(key) {
      validKey(key);
      await rm(dataPath(key), { force: true });
      await rm(metaPath(key), { force: true });
      for (const dir of [dirname(dataPath(key)), dirname(metaPath(key))]) {
        await fsyncDir(dir).catch((error: unknown) => {
          if (!isErrno(error, 'ENOENT', 'ENOTDIR')) throw error;
        });
      }
    },

    async presignGet(key, expiresInSeconds) {
      return presign('GET', key, expiresInSeconds);
    },

    async presignPut(key, expiresInSeconds, contentType) {
      if (contentType !== undefined) parse(ContentType, contentType, 'content type');
      return presign('PUT', key, expiresInSeconds, contentType === undefined ? {} : { contentType });
    },

    async createMultipart(key, contentType) {
      validKey(key);
      parse(ContentType, contentType, 'content type');
      await ensureDirs();
      const uploadId = newId(now());
      const manifest: Manifest = { key, contentType, createdAt: now() };
      await withUploadLock(uploadId, async () => {
        await mkdir(uploadDir(uploadId));
        await fsyncDir(dirs.multipart);
        await writeJsonAtomically(join(uploadDir(uploadId), 'manifest.json'), manifest);
      });
      return { uploadId };
    },

    async presignPart(key, uploadId, partNumber, expiresInSeconds) {
      validUploadId(uploadId);
      parse(PartNumber, partNumber, `part number must be 1..${MULTIPART.maxParts}`);
      return presign('PUT', key, expiresInSeconds, { uploadId, partNumber });
    },

    async writePart(key, uploadId, partNumber, body, declaredLength) {
      validKey(key);
      validUploadId(uploadId);
      parse(PartNumber, partNumber, `part number must be 1..${MULTIPART.maxParts}`);
      if (declaredLength !== undefined) {
        parse(z.number().int().min(0), declaredLength, 'declared length');
        if (declaredLength > MULTIPART.maxPartSize) {
          throw new AppError('payload_too_large', `a part may be at most ${MULTIPART.maxPartSize} bytes`);
        }
      }
      // Refuse before reading a byte when the upload is gone.
      await readManifest(key, uploadId);
      const written = await streamToTemp(body, {
        maxBytes: MULTIPART.maxPartSize,
        ...(declaredLength !== undefined ? { declaredLength } : {}),
      });
      const md5 = written.md5.toString('hex');
      const number = String(partNumber).padStart(5, '0');
      try {
        await withUploadLock(uploadId, async () => {
          await readManifest(key, uploadId); // it may have been completed or aborted meanwhile
          const dir = uploadDir(uploadId);
          await rename(written.path, join(dir, `${number}.${md5}`));
          await fsyncDir(dir); // before the 200 + ETag: an acknowledged part survives a power cut
          for (const name of await readdir(dir)) {
            if (name.startsWith(`${number}.`) && name !== `${number}.${md5}`)
              await rm(join(dir, name), { force: true });
          }
        });
      } finally {
        await dropTemp(written.path);
      }
      return { partNumber, etag: quoted(md5), size: written.size };
    },

    async listParts(key, uploadId) {
      validKey(key);
      validUploadId(uploadId);
      return withUploadLock(uploadId, async () => {
        await readManifest(key, uploadId);
        const parts = [...(await storedParts(uploadId)).values()];
        return parts
          .sort((a, b) => a.partNumber - b.partNumber)
          .map(({ partNumber, etag, size }) => ({ partNumber, etag, size }));
      });
    },

    async completeMultipart(key, uploadId, parts) {
      validKey(key);
      validUploadId(uploadId);
      const listed = parse(CompletedParts, parts, 'invalid part list');
      return withUploadLock(uploadId, async () => {
        const manifest = await readManifest(key, uploadId);
        const stored = await storedParts(uploadId);
        // Missing parts and stale ETags first (what the client must re-send), then sizes.
        const chosen = listed.map(({ partNumber, etag }) => {
          const part = stored.get(partNumber);
          if (!part) throw invalidInput(`part ${partNumber} was never uploaded (or was replaced); upload it first`);
          if (bareEtag(etag) !== bareEtag(part.etag)) {
            throw invalidInput(
              `part ${partNumber}: ETag ${etag} does not match the stored part's ${part.etag}; send the ETag its upload returned`,
            );
          }
          return part;
        });
        const small = chosen.slice(0, -1).find((part) => part.size < MULTIPART.minPartSize);
        if (small) {
          throw invalidInput(
            `part ${small.partNumber} is ${small.size} bytes; every part but the last must be at least ${MULTIPART.minPartSize} bytes`,
          );
        }
        await ensureDirs();
        const temp = newTemp();
        let size = 0;
        try {
          size = await concatenate(
            temp,
            chosen.map((part) => part.path),
          );
        } catch (error) {
          await dropTemp(temp);
          throw error;
        }
        const { mtimeMs } = await stat(temp);
        // S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the part count.
        const etag = `"${createHash('md5')
          .update(Buffer.concat(chosen.map((part) => part.md5)))
          .digest('hex')}-${chosen.length}"`;
        const info = await commitObject(key, temp, { etag, size, mtimeMs, contentType: manifest.contentType });
        await rm(uploadDir(uploadId), { recursive: true, force: true });
        return info;
      });
    },

    async abortMultipart(key, uploadId) {
      validKey(key);
      validUploadId(uploadId);
      await withUploadLock(uploadId, async () => {
        await readManifest(key, uploadId);
        await rm(uploadDir(uploadId), { recursive: true, force: true });
      });
    },

    async sweepAbandoned(olderThanMs) {
      parse(z.number().min(0), olderThanMs, 'age');
      await ensureDirs();
      let removed = 0;
      for (const name of await readdir(dirs.multipart)) {
        if (!Id.safeParse(name).success) continue;
        await withUploadLock(name, async () => {
          const dir = join(dirs.multipart, name);
          let createdAt: number | undefined;
          try {
            createdAt = Manifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).createdAt;
          } catch {
            createdAt = undefined; // no readable manifest (a crash mid-create): nothing can complete it
          }
          if (createdAt === undefined || now() - createdAt > olderThanMs) {
            await rm(dir, { recursive: true, force: true });
            removed++;
          }
        });
      }
      // Temp files nobody in this process is writing were left by a crash.
      for (const name of await readdir(dirs.tmp)) {
        const path = join(dirs.tmp, name);
        if (!activeTemps.has(path)) await unlink(path).catch(() => undefined);
      }
      return removed;
    },
  };
}
