import { z } from 'zod';
import { VideoUploaded } from '#shared/events/catalog.js';
import { AppError, invalidInput, notFound } from '#shared/errors.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import { MULTIPART } from '#shared/ports/object-store.js';
import { sniffContainer } from './domain/container.js';
import { planParts, plannedPartSize, SOURCE_TYPES } from './domain/upload-plan.js';
import { assertUploadable } from './domain/video.js';
import type { Video } from './domain/video.js';
import type { CatalogStore } from './store.js';

export const StartUpload = z.object({
  size: z.number().int().positive('the file is empty'),
  contentType: z.enum(SOURCE_TYPES, { error: 'only MP4 or QuickTime (MOV) videos can be uploaded' }),
});

const ETag = z
  .string()
  .min(1)
  .max(200)
  .transform((etag) => etag.replace(/^W\//, ''));

export const CompleteUpload = z.object({
  uploadId: z.string().min(1).max(1024),
  parts: z
    .array(z.object({ partNumber: z.number().int().min(1).max(MULTIPART.maxParts), etag: ETag }))
    .min(1)
    .max(MULTIPART.maxParts),
});

/** Where a video's source lives in the uploads bucket. */
export const sourceKeyOf = (videoId: string) => `sources/${videoId}/source`;

/**
 * The S3 multipart flow, the same on both runtimes: bytes go from the browser straight to
 * object storage through presigned part URLs, never through the API (gateways cap a request at
 * about 10 MB). The catalog plans the parts, hands out URLs, tells what already arrived (resume),
 * and on completion checks the container signature before anything downstream sees the file.
 */
export function uploads(deps: {
  store: CatalogStore;
  objects: ObjectStore;
  clock: Clock;
  maxUploadBytes: number;
  partUrlTtlSeconds: number;
}) {
  const { store, objects, clock } = deps;

  const currentUpload = (video: Video, uploadId: string) => {
    if (!video.upload || video.upload.uploadId !== uploadId) {
      throw notFound('upload (it was replaced, completed or abandoned; start the upload again)');
    }
    return video.upload;
  };

  /** Part URLs good for exactly the planned bytes of each part: nobody stores more than declared. */
  const presign = (
    key: string,
    uploadId: string,
    plan: { size: number; partSize: number; partCount: number },
    partNumbers: number[],
  ) =>
    Promise.all(
      partNumbers.map(async (partNumber) => ({
        partNumber,
        url: await objects.presignPart(key, uploadId, partNumber, deps.partUrlTtlSeconds, {
          contentLength: plannedPartSize(plan, partNumber),
        }),
      })),
    );

  return {
    async start(videoId: string, request: z.infer<typeof StartUpload>) {
      const video = await store.get(videoId);
      assertUploadable(video);
      const plan = planParts(request.size, deps.maxUploadBytes);
      const key = sourceKeyOf(videoId);
      const { uploadId } = await objects.createMultipart(key, request.contentType);
      const now = clock.now();
      const at = new Date(now).toISOString();
      const next: Video = {
        ...video,
        status: 'uploading',
        failureReason: null,
        updatedAt: at,
        upload: { uploadId, key, size: request.size, contentType: request.contentType, ...plan, startedAt: at },
      };
      try {
        await store.save(video, next);
      } catch (error) {
        await objects.abortMultipart(key, uploadId).catch(() => undefined);
        throw error;
      }
      // A restarted upload replaces the previous one; its parts are no longer wanted.
      if (video.upload) await objects.abortMultipart(video.upload.key, video.upload.uploadId).catch(() => undefined);
      const numbers = Array.from({ length: plan.partCount }, (_, i) => i + 1);
      return {
        uploadId,
        partSize: plan.partSize,
        partCount: plan.partCount,
        parts: await presign(key, uploadId, { size: request.size, ...plan }, numbers),
      };
    },

    /** What the store already holds, and fresh URLs for the parts still missing. */
    async resume(videoId: string, uploadId: string) {
      const video = await store.get(videoId);
      const upload = currentUpload(video, uploadId);
      const received = await objects.listParts(upload.key, uploadId);
      const have = new Set(received.map((part) => part.partNumber));
      const missing = Array.from({ length: upload.partCount }, (_, i) => i + 1).filter((n) => !have.has(n));
      return {
        uploadId,
        size: upload.size,
        partSize: upload.partSize,
        partCount: upload.partCount,
        parts: received,
        missing: await presign(upload.key, uploadId, upload, missing),
      };
    },

    async complete(videoId: string, request: z.infer<typeof CompleteUpload>) {
      const video = await store.get(videoId);
      const upload = currentUpload(video, request.uploadId);
      if (request.parts.length !== upload.partCount) {
        throw invalidInput(`the upload has ${upload.partCount} parts; ${request.parts.length} were listed`);
      }
      const info = await objects.completeMultipart(upload.key, upload.uploadId, request.parts);
      const now = clock.now();
      const rejection = await checkSource(objects, upload.key, info.size, upload.size);
      if (rejection) {
        await objects.delete(upload.key).catch(() => undefined);
        const failed: Video = {
          ...video,
          status: 'draft',
          upload: null,
          failureReason: rejection,
          updatedAt: new Date(now).toISOString(),
        };
        await store.save(video, failed);
        throw new AppError('unsupported_media_type', rejection);
      }
      const next: Video = {
        ...video,
        status: 'processing',
        upload: null,
        sourceKey: upload.key,
        failureReason: null,
        updatedAt: new Date(now).toISOString(),
      };
      await store.save(video, next, [
        VideoUploaded.create({ videoId, sourceKey: upload.key, size: info.size, contentType: upload.contentType }, now),
      ]);
      return { videoId, status: next.status, size: info.size };
    },

    async abort(videoId: string, uploadId: string) {
      const video = await store.get(videoId);
      const upload = currentUpload(video, uploadId);
      await objects.abortMultipart(upload.key, uploadId);
      await store.save(video, {
        ...video,
        status: 'draft',
        upload: null,
        updatedAt: new Date(clock.now()).toISOString(),
      });
    },

    /** Removes the source and any unfinished upload of a deleted video (best effort). */
    async discardSource(video: Video) {
      if (video.upload) await objects.abortMultipart(video.upload.key, video.upload.uploadId).catch(() => undefined);
      if (video.sourceKey) await objects.delete(video.sourceKey).catch(() => undefined);
    },
  };
}

/** Returns why the assembled source is refused, or undefined when it is an MP4/MOV of the declared size. */
async function checkSource(objects: ObjectStore, key: string, actual: number, declared: number) {
  if (actual !== declared) return `the upload is ${actual} bytes but ${declared} were declared`;
  const head = await objects.get(key, { start: 0, end: 63 });
  if (!head) return 'the uploaded file could not be read back';
  const chunks: Buffer[] = [];
  for await (const chunk of head.body) chunks.push(chunk as Buffer);
  const container = sniffContainer(Buffer.concat(chunks));
  return container.kind === 'unknown' ? `${container.reason}; upload an MP4 or MOV file` : undefined;
}
