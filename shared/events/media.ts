import { z } from 'zod';
import { defineEvent } from './define.js';

export const Rendition = z.object({
  name: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bandwidth: z.number().int().positive(),
  averageBandwidth: z.number().int().positive(),
  codecs: z.string(),
  frameRate: z.number().positive(),
});

export const VideoProcessing = defineEvent(
  'media',
  'VideoProcessing',
  z.object({ videoId: z.string(), progress: z.number().min(0).max(100) }),
);
export const VideoReady = defineEvent(
  'media',
  'VideoReady',
  z.object({
    videoId: z.string(),
    durationSeconds: z.number().nonnegative(),
    renditions: z.array(Rendition),
    posterKey: z.string(),
    /** A few stills across the video (scrubbing previews, admin page); older events have none. */
    thumbnailKeys: z.array(z.string()).default([]),
  }),
);
export const VideoFailed = defineEvent('media', 'VideoFailed', z.object({ videoId: z.string(), reason: z.string() }));
/**
 * A subtitle language of a video was published (`revision` set) or removed (`revision` null).
 * Nothing consumes it yet; it is there for whoever shows a title's subtitle languages.
 */
export const SubtitlesChanged = defineEvent(
  'media',
  'SubtitlesChanged',
  z.object({ videoId: z.string(), language: z.string(), revision: z.string().nullable() }),
);
