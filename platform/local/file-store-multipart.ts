import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError, invalidInput } from '#shared/errors.js';
import { Id, newId } from '#shared/ids.js';
import { CompletedParts, MULTIPART, PartNumber } from '#shared/ports/object-store.js';
import type { ObjectInfo, UploadedPart } from '#shared/ports/object-store.js';
import { fsyncDir } from './durable-fs.js';
import type { StoreDisk } from './file-store-disk.js';
import { ContentType, bareEtag, parse, quoted, validKey, validUploadId } from './file-store-inputs.js';

const PART_FILE = /^(\d{5})\.([0-9a-f]{32})$/;

const Manifest = z.object({ key: z.string(), contentType: z.string(), createdAt: z.number() });
type Manifest = z.infer<typeof Manifest>;

/**
 * S3's multipart upload on the file store's disk: an upload is a folder `multipart/<uploadId>/`
 * holding a manifest and one file per part named `<number>.<md5>`, so a part's bytes and its ETag
 * become visible in one rename. Re-sending a part replaces it (what resuming needs). Completion
 * concatenates the chosen parts into one object with S3's multipart ETag; uploads older than a
 * given age are swept, as S3's lifecycle rule does on AWS.
 */
export function multipartUploads(disk: StoreDisk, now: () => number) {
  const uploadDir = (uploadId: string) => disk.under(disk.dirs.multipart, validUploadId(uploadId));

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

  return {
    async create(key: string, contentType: string) {
      validKey(key);
      parse(ContentType, contentType, 'content type');
      await disk.ensureDirs();
      const uploadId = newId(now());
      const manifest: Manifest = { key, contentType, createdAt: now() };
      await withUploadLock(uploadId, async () => {
        await mkdir(uploadDir(uploadId));
        await fsyncDir(dirname(uploadDir(uploadId)));
        await disk.writeJsonAtomically(join(uploadDir(uploadId), 'manifest.json'), manifest);
      });
      return { uploadId };
    },

    /** Streams one part to disk (hashing as it goes) and makes it visible atomically, replacing an earlier one. */
    async writePart(
      key: string,
      uploadId: string,
      partNumber: number,
      body: Readable,
      declaredLength?: number,
    ): Promise<UploadedPart> {
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
      const written = await disk.streamToTemp(body, {
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
        await disk.dropTemp(written.path);
      }
      return { partNumber, etag: quoted(md5), size: written.size };
    },

    async listParts(key: string, uploadId: string) {
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

    async complete(key: string, uploadId: string, parts: unknown): Promise<ObjectInfo> {
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
        const joined = await disk.concatenateToTemp(chosen.map((part) => part.path));
        // S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the part count.
        const etag = `"${createHash('md5')
          .update(Buffer.concat(chosen.map((part) => part.md5)))
          .digest('hex')}-${chosen.length}"`;
        const info = await disk.commitObject(key, joined.path, {
          etag,
          size: joined.size,
          mtimeMs: joined.mtimeMs,
          contentType: manifest.contentType,
        });
        await rm(uploadDir(uploadId), { recursive: true, force: true });
        return info;
      });
    },

    async abort(key: string, uploadId: string) {
      validKey(key);
      validUploadId(uploadId);
      await withUploadLock(uploadId, async () => {
        await readManifest(key, uploadId);
        await rm(uploadDir(uploadId), { recursive: true, force: true });
      });
    },

    /** Removes uploads created more than `olderThanMs` ago (or with no readable manifest); returns how many. */
    async sweepAbandoned(olderThanMs: number) {
      parse(z.number().min(0), olderThanMs, 'age');
      await disk.ensureDirs();
      let removed = 0;
      for (const name of await readdir(disk.dirs.multipart)) {
        if (!Id.safeParse(name).success) continue;
        await withUploadLock(name, async () => {
          const dir = join(disk.dirs.multipart, name);
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
      return removed;
    },
  };
}
