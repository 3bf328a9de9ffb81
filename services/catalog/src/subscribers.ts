import { VideoFailed, VideoProcessing, VideoReady } from '#shared/events/media.js';
import { subscribe } from '#shared/events/subscribe.js';
import { unwiredClock, unwiredTable } from '#shared/events/unwired.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Subscription } from '#shared/ports/bus.js';
import type { Table } from '#shared/ports/table.js';
import type { Video } from './domain/video.js';
import { catalogStore } from './store.js';

/**
 * The catalog follows the media pipeline: a video becomes `ready` (publishable) or `failed` with
 * the pipeline's reason. Handlers are idempotent: a redelivered event finds the video already moved.
 */
export function catalogSubscriptions(
  deps: { table: Table; clock: Clock } = { table: unwiredTable, clock: unwiredClock },
): Subscription[] {
  const store = catalogStore(deps.table);
  const move = async (videoId: string, change: (video: Video) => Video | undefined) => {
    const video = await store.find(videoId);
    if (!video) return; // deleted meanwhile
    const next = change(video);
    if (next) await store.save(video, { ...next, updatedAt: new Date(deps.clock.now()).toISOString() });
  };
  return [
    subscribe('catalog.media-processing', VideoProcessing, async ({ videoId }) =>
      move(videoId, (video) =>
        video.status === 'failed' ? { ...video, status: 'processing', failureReason: null } : undefined,
      ),
    ),
    subscribe('catalog.media-ready', VideoReady, async ({ videoId, durationSeconds, posterKey }) =>
      move(videoId, (video) =>
        video.status === 'ready'
          ? undefined
          : { ...video, status: 'ready', durationSeconds, posterKey, failureReason: null },
      ),
    ),
    subscribe('catalog.media-failed', VideoFailed, async ({ videoId, reason }) =>
      move(videoId, (video) =>
        video.status === 'ready' ? undefined : { ...video, status: 'failed', failureReason: reason },
      ),
    ),
  ];
}
