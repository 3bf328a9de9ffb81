import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError, invalidInput } from '#shared/errors.js';
import { Id, newId } from '#shared/ids.js';
import { CompletedParts, MULTIPART, PartNumber } from '#shared/ports/object-store.js';
import type { ObjectInfo, UploadedPart } from '#shared/ports/object-store.js';
import { fsyncDir, fsyncDirShared, mkdirDurable } from './durable-fs.js';
import type { StoreDisk } from './file-store-disk.js';
import { ContentType, bareEtag, isErrno, parse, quoted, validKey, validUploadId } from './file-store-inputs.js';
import type { PartList } from './file-store-parts.js';

const PART_FILE = /^(\d{5})\.([0-9a-f]{32})$/;

const Manifest = z.object({ key: z.string(), contentType: z.string(), createdAt: z.number() });
type Manifest = z.infer<typeof Manifest>;

/**
 * S3's multipart upload on the file store's disk: an upload is a folder `multipart/<uploadId>/`
 * holding a manifest and one file per part named `<number>.<md5>`, so a part's bytes and its ETag
 * become visible in one rename. Re-sending a part replaces it (what resuming needs). Completion
 * keeps the chosen parts where they are (the folder moves to `parts/<uploadId>/`) and makes the
 * object their list, with S3's multipart ETag; reads stream across the part files
 * (`file-store-parts.ts`). Uploads older than a given age are swept, as S3's lifecycle rule does on
 * AWS, and so are part folders no object uses any more (a crash between the move and the commit).
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
      const dir = uploadDir(uploadId);
      let renamed = false;
      try {
        await withUploadLock(uploadId, async () => {
          await readManifest(key, uploadId); // it may have been completed or aborted meanwhile
          await rename(written.path, join(dir, `${number}.${md5}`));
          renamed = true;
          for (const name of await readdir(dir)) {
            if (name.startsWith(`${number}.`) && name !== `${number}.${md5}`)
              await rm(join(dir, name), { force: true });
          }
        });
      } finally {
        // Renamed into place: nothing left to remove (an unlink per part that always missed).
        if (renamed) disk.keepTemp(written.path);
        else await disk.dropTemp(written.path);
      }
      // Before the 200 + ETag: an acknowledged part survives a power cut. The folder flush is shared
      // with the parts renamed in meanwhile (outside the lock, so they are not flushed one by one).
      // If the folder is gone, completion moved it after flushing it (or abort removed it).
      await fsyncDirShared(dir).catch((error: unknown) => {
        if (!isErrno(error, 'ENOENT')) throw error;
      });
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
        // S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the part count.
        const etag = `"${createHash('md5')
          .update(Buffer.concat(chosen.map((part) => part.md5)))
          .digest('hex')}-${chosen.length}"`;
        // No copy: the upload's folder becomes the object's part folder (one rename, made durable
        // in both parents), parts the list leaves out are dropped, and the object is the list.
        const partsDir = disk.partsDir(uploadId);
        await fsyncDir(uploadDir(uploadId)); // parts renamed in whose writers still await their flush
        await mkdirDurable(disk.dirs.parts);
        await rename(uploadDir(uploadId), partsDir);
        await fsyncDir(disk.dirs.parts);
        await fsyncDir(disk.dirs.multipart);
        const kept = new Set(chosen.map((part) => basename(part.path)));
        for (const part of stored.values()) {
          if (!kept.has(basename(part.path))) await rm(join(partsDir, basename(part.path)), { force: true });
        }
        const list: PartList = {
          upload: uploadId,
          files: chosen.map((part) => ({ name: basename(part.path), size: part.size })),
        };
        const written = await disk.writeTemp(JSON.stringify(list));
        return disk.commitObject(key, written.path, {
          etag,
          size: chosen.reduce((sum, part) => sum + part.size, 0),
          mtimeMs: written.mtimeMs,
          contentType: manifest.contentType,
          parts: { ...list, fileSize: written.size },
        });
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
      // Part folders whose object no longer names them: a crash between an upload's move into
      // parts/ and its commit, or between an object's removal and its parts'. Never one in use.
      let folders: string[] = [];
      try {
        folders = await readdir(disk.dirs.parts);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
      for (const name of folders) {
        if (!Id.safeParse(name).success) continue;
        await withUploadLock(name, async () => {
          const dir = disk.partsDir(name);
          let upload: Manifest | undefined;
          try {
            upload = Manifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
          } catch {
            upload = undefined;
          }
          if (upload && now() - upload.createdAt <= olderThanMs) return;
          const inUse = upload && (await disk.readMeta(upload.key).catch(() => undefined))?.parts?.upload === name;
          if (!inUse) await rm(dir, { recursive: true, force: true });
        });
      }
      return removed;
    },
  };
}
