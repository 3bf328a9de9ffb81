import { z } from 'zod';
import { Rendition } from '#shared/events/media.js';
import { TranscodePlan } from './ladder.js';
import { STORYBOARD_DIR, STORYBOARD_TRACK } from './storyboard.js';

export const MediaState = z.enum(['waiting', 'processing', 'ready', 'failed']);
export type MediaState = z.infer<typeof MediaState>;

/**
 * The media service's view of one video. `run` numbers the pipeline executions (it names the
 * execution, so a redelivered start is the same execution, and fences off a stale one); `attempts`
 * counts starts since the last upload or manual retry, so a video that keeps crashing the process
 * ends `failed` instead of looping.
 */
export const MediaVideo = z.object({
  videoId: z.string(),
  state: MediaState,
  progress: z.number().min(0).max(100),
  sourceKey: z.string(),
  /** The VideoUploaded event that started the current source: a redelivery of it changes nothing. */
  uploadEventId: z.string(),
  run: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  executionId: z.string().nullable(),
  plan: TranscodePlan.nullable(),
  renditions: z.array(Rendition),
  posterKey: z.string().nullable(),
  thumbnailKeys: z.array(z.string()),
  /** The thumbnail an admin chose as the poster (its index), or null for the automatic one. */
  posterFrom: z.number().int().nonnegative().nullable().default(null),
  /** The seek-bar storyboard's WebVTT (sprite sheets beside it); null for titles made before it. */
  storyboardKey: z.string().nullable().default(null),
  durationSeconds: z.number().nonnegative().nullable(),
  error: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
});
export type MediaVideo = z.infer<typeof MediaVideo>;

/** A crash-restarted video gives up after this many starts, with a reason, never looping. */
export const MAX_ATTEMPTS = 3;

/** Progress is reported at most this often (each report is an event for the admin page). */
export const PROGRESS_INTERVAL_MS = 2000;

/** The ready state is 100; while transcoding the bar stops at 99 so it never looks done early. */
export const transcodeProgress = (percent: number) => Math.max(0, Math.min(99, Math.floor(percent)));

export const mediaKeys = (videoId: string) => {
  const root = `media/videos/${videoId}/`;
  return {
    root,
    hlsPrefix: `${root}hls/`,
    master: `${root}hls/master.m3u8`,
    poster: `${root}poster.jpg`,
    /** Each subtitle language's canonical WebVTT, outside the HLS tree so a re-transcode keeps it. */
    subtitles: `${root}subtitles/`,
    /** The pipeline's own poster, kept aside the first time an admin picks another. */
    automaticPoster: `${root}poster-auto.jpg`,
    thumbnail: (index: number) => `${root}thumbnails/${String(index + 1).padStart(2, '0')}.jpg`,
    /** Under the HLS path: the playback cookies cover it. */
    storyboardDir: `${root}hls/${STORYBOARD_DIR}`,
    storyboard: `${root}hls/${STORYBOARD_TRACK}`,
  };
};

/** Where the stills are taken, as fractions of the duration: the poster at 10 %. */
export const POSTER_AT = 0.1;
export const THUMBNAILS_AT = [0.2, 0.4, 0.6, 0.8] as const;

/** What anyone may read: the state and, once ready, what a player needs. Admins see everything. */
export function publicView(video: MediaVideo | undefined, admin: boolean) {
  if (!video) return { state: 'waiting' as const, progress: 0, renditions: [], poster: null, storyboard: null };
  const base = {
    state: video.state,
    progress: video.progress,
    renditions: video.state === 'ready' ? video.renditions : [],
    poster: video.state === 'ready' ? video.posterKey : null,
    storyboard: video.state === 'ready' ? video.storyboardKey : null,
  };
  if (!admin) return base;
  return {
    ...base,
    renditions: video.renditions,
    poster: video.posterKey,
    ...(video.error ? { error: video.error } : {}),
    thumbnails: video.thumbnailKeys,
    posterFrom: video.posterFrom,
    durationSeconds: video.durationSeconds,
    attempts: video.attempts,
    run: video.run,
    executionId: video.executionId,
    plan: video.plan,
    startedAt: video.startedAt,
    finishedAt: video.finishedAt,
    updatedAt: video.updatedAt,
  };
}
