import { z } from 'zod';
import { defineEvent } from './define.js';

const VideoRef = z.object({ videoId: z.string() });

/** What search and the other services need of a video; never the whole record. */
export const VideoFacts = VideoRef.extend({
  title: z.string(),
  description: z.string(),
  cast: z.array(z.string()),
  genres: z.array(z.string()),
  priceJpy: z.number().int().nonnegative(),
  freePreview: z.boolean(),
});

export const VideoCreated = defineEvent('catalog', 'VideoCreated', VideoFacts);
export const VideoUpdated = defineEvent('catalog', 'VideoUpdated', VideoFacts);
export const VideoPublished = defineEvent('catalog', 'VideoPublished', VideoFacts);
export const VideoUnpublished = defineEvent('catalog', 'VideoUnpublished', VideoRef);
export const VideoDeleted = defineEvent('catalog', 'VideoDeleted', VideoRef);
/** The source MP4 is complete in object storage; the media pipeline consumes it. */
export const VideoUploaded = defineEvent(
  'catalog',
  'VideoUploaded',
  VideoRef.extend({ sourceKey: z.string(), size: z.number().int().positive(), contentType: z.string() }),
);

/** The events that change what search may show; each starts the search-sync workflow. */
export const SEARCH_SYNC_TRIGGERS = [VideoPublished, VideoUpdated, VideoUnpublished, VideoDeleted] as const;
