import { z } from 'zod';
import { conflict } from '#shared/errors.js';
import { typedText } from '#shared/text.js';

/** Names and titles are one line; the description may have several (`#shared/text.ts`). */
const Name = typedText({ max: 100, min: 1 });

const VideoFields = z.object({
  title: typedText({ max: 200 }).pipe(z.string().min(1, 'a title is required')),
  description: typedText({ max: 5000, multiline: true }),
  cast: z.array(Name).max(50, 'at most 50 names'),
  genres: z.array(Name).max(10, 'at most 10 genres'),
  priceJpy: z.number().int('a whole number of yen').min(0).max(1_000_000),
  freePreview: z.boolean(),
});

/** What an admin writes about a video; the same rules check the create and the edit form. */
export const VideoInput = VideoFields.extend({
  description: VideoFields.shape.description.default(''),
  cast: VideoFields.shape.cast.default([]),
  genres: VideoFields.shape.genres.default([]),
  freePreview: VideoFields.shape.freePreview.default(false),
});
export type VideoInput = z.infer<typeof VideoInput>;

/** An edit names only what changes; no defaults, so an omitted field is never reset. */
export const VideoPatch = VideoFields.partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');
export type VideoPatch = z.infer<typeof VideoPatch>;

/**
 * Where a video is on its way to viewers:
 * draft → uploading → processing → ready (→ published) ; processing → failed ; a failed or
 * rejected upload can be started again.
 */
export const VideoStatus = z.enum(['draft', 'uploading', 'processing', 'ready', 'failed']);
export type VideoStatus = z.infer<typeof VideoStatus>;

export const Upload = z.object({
  uploadId: z.string(),
  key: z.string(),
  size: z.number().int().positive(),
  contentType: z.string(),
  partSize: z.number().int().positive(),
  partCount: z.number().int().positive(),
  startedAt: z.iso.datetime(),
});
export type Upload = z.infer<typeof Upload>;

export const Video = VideoInput.extend({
  videoId: z.string(),
  status: VideoStatus,
  published: z.boolean(),
  publishedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  upload: Upload.nullable(),
  sourceKey: z.string().nullable(),
  durationSeconds: z.number().nonnegative().nullable(),
  posterKey: z.string().nullable(),
  failureReason: z.string().nullable(),
});
export type Video = z.infer<typeof Video>;

export function newVideo(videoId: string, input: VideoInput, now: number): Video {
  const at = new Date(now).toISOString();
  return {
    ...input,
    videoId,
    status: 'draft',
    published: false,
    publishedAt: null,
    createdAt: at,
    updatedAt: at,
    upload: null,
    sourceKey: null,
    durationSeconds: null,
    posterKey: null,
    failureReason: null,
  };
}

/** Only a transcoded video can be shown to viewers. */
export function assertPublishable(video: Video): void {
  if (video.status !== 'ready') {
    throw conflict(`the video is ${video.status}; it can be published once it is ready`);
  }
}

/** An upload can start on a new video or again after a failure or an abandoned upload; never while processing. */
export function assertUploadable(video: Video): void {
  if (video.status === 'processing') throw conflict('the video is being processed; wait for it to finish');
  if (video.status === 'ready') throw conflict('the video already has its media; create a new video to replace it');
}

/** The facts other services need of a video (the events carry these, not the record). */
export function videoFacts(video: Video) {
  const { videoId, title, description, cast, genres, priceJpy, freePreview } = video;
  return { videoId, title, description, cast, genres, priceJpy, freePreview };
}
