import { z } from 'zod';
import { api } from '$lib/server/api';
import type { ApiEvent } from '$lib/server/api';
import { webConfig } from '$lib/server/config';
import type { LiveSource } from './live';

/** A video's like count, and whether the signed-in viewer likes it (absent when signed out). */
export const LikeState = z.object({ count: z.number().int().nonnegative(), liked: z.boolean().optional() });
export type LikeState = z.infer<typeof LikeState>;

const LIKES_BATCH = 100;

/**
 * Counts for every card of a page in one call per hundred (`POST /api/engagement/likes`). Null
 * when the engagement API is away: cards then show no count rather than the page failing.
 */
export async function likesFor(
  event: ApiEvent,
  videoIds: readonly string[],
): Promise<Record<string, LikeState> | null> {
  const ids = [...new Set(videoIds)];
  if (ids.length === 0) return {};
  try {
    const answers: Record<string, LikeState> = {};
    for (let start = 0; start < ids.length; start += LIKES_BATCH) {
      Object.assign(
        answers,
        await api(event, '/api/engagement/likes', {
          json: { videoIds: ids.slice(start, start + LIKES_BATCH) },
          schema: z.record(z.string(), LikeState),
        }),
      );
    }
    return answers;
  } catch (error) {
    console.error(JSON.stringify({ level: 'warn', msg: 'likes unavailable', err: String(error) }));
    return null;
  }
}

/** One video's state for its page; null when engagement cannot answer (the button then stays hidden). */
export async function likeState(event: ApiEvent, videoId: string): Promise<LikeState | null> {
  return (await likesFor(event, [videoId]))?.[videoId] ?? null;
}

/** Where this deployment pushes live counts: AppSync Events when configured (AWS), else the SSE hub. */
export function liveSource(): LiveSource {
  const config = webConfig();
  if (config.KINEMA_REALTIME_HOST && config.KINEMA_REALTIME_HTTP_HOST && config.KINEMA_REALTIME_API_KEY) {
    return {
      kind: 'appsync',
      realtimeHost: config.KINEMA_REALTIME_HOST,
      httpHost: config.KINEMA_REALTIME_HTTP_HOST,
      apiKey: config.KINEMA_REALTIME_API_KEY,
    };
  }
  return { kind: 'sse' };
}
