import { VideoDeleted, VideoUploaded } from '#shared/events/catalog.js';
import { subscribe } from '#shared/events/subscribe.js';
import type { Subscription } from '#shared/ports/bus.js';
import type { Pipeline } from './pipeline.js';

const unwired = (): never => {
  throw new Error('this subscription was listed without a pipeline (infra only); it cannot handle events');
};

/**
 * The events the media service consumes; infra turns this list into bus rules.
 * - media.start-pipeline: an upload completed; a redelivery of the same upload starts nothing.
 * - media.discard: the video was deleted; its record and every HLS object go.
 */
export function mediaSubscriptions(deps: { pipeline?: Pipeline } = {}): Subscription[] {
  const runs = deps.pipeline?.runs;
  return [
    subscribe('media.start-pipeline', VideoUploaded, async ({ videoId, sourceKey }, envelope) => {
      if (!runs) return unwired();
      await runs.startForUpload({ videoId, sourceKey, uploadEventId: envelope.id });
    }),
    subscribe('media.discard', VideoDeleted, async ({ videoId }) => {
      if (!runs) return unwired();
      await runs.discard(videoId);
    }),
  ];
}
