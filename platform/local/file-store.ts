import { open, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { invalidInput } from '#shared/errors.js';
import { MULTIPART, PartLength, PartNumber } from '#shared/ports/object-store.js';
import type { ObjectInfo, ObjectStore, UploadedPart } from '#shared/ports/object-store.js';
import { storeDisk } from './file-store-disk.js';
import { ContentType, isErrno, parse, quoted, validKey, validUploadId } from './file-store-inputs.js';
import { multipartUploads } from './file-store-multipart.js';
import { readParts } from './file-store-parts.js';
import { storeUrlSigner } from './file-store-signing.js';
import type { VerifiedRequest } from './file-store-signing.js';

export type { VerifiedRequest } from './file-store-signing.js';

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
  /** Removes multipart uploads created more than `olderThanMs` ago, and temp files a crash left; returns how many uploads. */
  sweepAbandoned(olderThanMs: number): Promise<number>;
};

const ListPrefix = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z0-9._/-]*$/, 'a prefix holds only letters, digits, ".", "_", "-" and "/"');

/**
 * The standalone ObjectStore, composed of three parts: the disk layout (`file-store-disk.ts`:
 * objects as files with JSON sidecars, every write through `tmp/` and a rename), presigned URLs
 * (`file-store-signing.ts`, checked by the HTTP side `file-store-http.ts`) and S3's multipart
 * upload (`file-store-multipart.ts`). This file maps the ObjectStore port onto them.
 *
 * Local limitation: a key cannot also be a "folder" of other keys ("a" and "a/b"); such a write
 * fails with `conflict`.
 */
export function fileStore(options: FileStoreOptions): FileStore {
  const pathPrefix = options.pathPrefix ?? '/_store';
  if (!/^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(pathPrefix)) {
    throw new Error(`fileStore: pathPrefix must look like "/_store", not ${JSON.stringify(pathPrefix)}`);
  }
  const { now } = options;
  const signer = storeUrlSigner({ secret: options.secret, publicUrl: options.publicUrl, pathPrefix, now });
  const disk = storeDisk({ root: options.root, now });
  const uploads = multipartUploads(disk, now);

  return {
    pathPrefix,
    verifyUrl: signer.verifyUrl,

    async put(key, body, putOptions = {}) {
      validKey(key);
      const contentType =
        putOptions.contentType === undefined ? undefined : parse(ContentType, putOptions.contentType, 'content type');
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      const written = await disk.streamToTemp(source, { maxBytes: MULTIPART.maxPartSize });
      return disk.commitObject(key, written.path, {
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
        handle = await open(disk.dataPath(key), 'r');
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
        const { info, parts } = await disk.readStored(key, data);
        const size = info.size;
        let start = 0;
        let end = size - 1;
        if (range) {
          start = range.start;
          end = Math.min(range.end ?? size - 1, size - 1);
          if (!Number.isInteger(start) || start < 0 || start >= size || end < start) {
            throw invalidInput(`range ${range.start}-${range.end ?? ''} is outside the object's ${size} bytes`);
          }
        }
        if (parts) {
          // A completed multipart object: its bytes are its parts' (the data file is their list).
          await handle.close();
          const body = size === 0 ? Readable.from([]) : readParts(disk.partsDir(parts.upload), parts.files, start, end);
          return { info, body };
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
      const data = await disk.statObject(key);
      return data ? disk.readInfo(key, data) : undefined;
    },

    async list(prefix) {
      parse(ListPrefix, prefix, 'invalid prefix');
      await disk.ensureDirs();
      const objectsDir = disk.dirs.objects;
      // Walk only the deepest folder the prefix names in full, then filter by the rest.
      const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      if (folder.split('/').some((segment) => segment === '..' || segment === '.')) {
        throw invalidInput('a prefix may not have a "." or ".." segment');
      }
      const start = folder ? disk.under(objectsDir, folder) : objectsDir;
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
            const key = relative(objectsDir, path).split(sep).join('/');
            if (!key.startsWith(prefix)) continue;
            const data = await disk.statObject(key);
            if (data) found.push(await disk.readInfo(key, data));
          }
        }
      };
      await walk(start);
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    async delete(key) {
      validKey(key);
      await disk.removeObject(key);
    },

    async presignGet(key, expiresInSeconds) {
      return signer.presign('GET', key, expiresInSeconds);
    },

    async presignPut(key, expiresInSeconds, contentType) {
      if (contentType !== undefined) parse(ContentType, contentType, 'content type');
      return signer.presign('PUT', key, expiresInSeconds, contentType === undefined ? {} : { contentType });
    },

    createMultipart: (key, contentType) => uploads.create(key, contentType),

    async presignPart(key, uploadId, partNumber, expiresInSeconds, options = {}) {
      validUploadId(uploadId);
      parse(PartNumber, partNumber, `part number must be 1..${MULTIPART.maxParts}`);
      const { contentLength } = options;
      if (contentLength !== undefined) {
        parse(PartLength, contentLength, `a part is 1..${MULTIPART.maxPartSize} bytes`);
      }
      return signer.presign('PUT', key, expiresInSeconds, {
        uploadId,
        partNumber,
        ...(contentLength !== undefined ? { contentLength } : {}),
      });
    },

    writePart: (key, uploadId, partNumber, body, declaredLength) =>
      uploads.writePart(key, uploadId, partNumber, body, declaredLength),
    listParts: (key, uploadId) => uploads.listParts(key, uploadId),
    completeMultipart: (key, uploadId, parts) => uploads.complete(key, uploadId, parts),
    abortMultipart: (key, uploadId) => uploads.abort(key, uploadId),

    async sweepAbandoned(olderThanMs) {
      const removed = await uploads.sweepAbandoned(olderThanMs);
      await disk.sweepTemps();
      return removed;
    },
  };
}
