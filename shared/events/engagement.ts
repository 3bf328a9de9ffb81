import { z } from 'zod';
import { defineEvent } from './define.js';

const Like = z.object({ videoId: z.string(), userId: z.string(), count: z.number().int().nonnegative() });

export const VideoLiked = defineEvent('engagement', 'VideoLiked', Like);
export const VideoUnliked = defineEvent('engagement', 'VideoUnliked', Like);
