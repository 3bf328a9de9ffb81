import { z } from 'zod';
import { defineEvent } from './define.js';

/**
 * A viewer's like took effect (or was withdrawn) and the video's like count moved by `delta`.
 * One event per effective change: an idempotent repeat (a double click, a retry) changes nothing
 * and emits nothing. It carries the change, not the total: the total is the sum of the regions'
 * counter shards, which consumers read when they act (live fan-out reads it at flush time, so a
 * burst always ends on the exact final count whatever order the deliveries arrive in).
 *
 * (It replaces wave 1's `VideoLiked`/`VideoUnliked`, which nothing consumed: one event whose
 * `liked` says which, so fan-out and any future consumer subscribe once.)
 */
export const LikeCountChanged = defineEvent(
  'engagement',
  'LikeCountChanged',
  z.object({
    videoId: z.string(),
    userId: z.string(),
    liked: z.boolean(),
    delta: z.union([z.literal(1), z.literal(-1)]),
    /** The region whose counter shard took the change (`local` standalone). */
    region: z.string(),
  }),
);
