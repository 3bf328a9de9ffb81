import { z } from 'zod';
import { api } from '$lib/server/api';
import type { ApiEvent } from '$lib/server/api';

/**
 * The engagement API's viewer routes as pages use them (backend-for-frontend): saved positions,
 * "continue watching" and "my list". Every helper answers null when signed out or when the API
 * is away: the page then leaves the row out rather than failing.
 */

export const SavedProgress = z.object({
  videoId: z.string(),
  positionSeconds: z.number(),
  durationSeconds: z.number(),
  updatedAt: z.string(),
  finished: z.boolean(),
});
export type SavedProgress = z.infer<typeof SavedProgress>;

const ContinueAnswer = z.object({
  items: z.array(
    z.object({ videoId: z.string(), positionSeconds: z.number(), durationSeconds: z.number(), updatedAt: z.string() }),
  ),
});
export type ContinueItem = z.infer<typeof ContinueAnswer>['items'][number];

const ListAnswer = z.object({ items: z.array(z.object({ videoId: z.string(), addedAt: z.string() })) });
export const ListState = z.object({ videoId: z.string(), inList: z.boolean() });

function warn(msg: string, error: unknown) {
  console.error(JSON.stringify({ level: 'warn', msg, err: String(error) }));
}

const signedIn = (event: ApiEvent) => Boolean(event.locals.session);

/** `GET /api/engagement/continue-watching`. */
export async function continueWatching(event: ApiEvent): Promise<ContinueItem[] | null> {
  if (!signedIn(event)) return null;
  try {
    return (await api(event, '/api/engagement/continue-watching', { schema: ContinueAnswer })).items;
  } catch (error) {
    warn('continue watching unavailable', error);
    return null;
  }
}

/** `GET /api/engagement/list`: the video ids, newest first. */
export async function myList(event: ApiEvent): Promise<string[] | null> {
  if (!signedIn(event)) return null;
  try {
    return (await api(event, '/api/engagement/list', { schema: ListAnswer })).items.map((entry) => entry.videoId);
  } catch (error) {
    warn('my list unavailable', error);
    return null;
  }
}

/** The viewer's saved position in one title (null: none, signed out, or engagement away). */
export async function savedProgress(event: ApiEvent, videoId: string): Promise<SavedProgress | null> {
  if (!signedIn(event)) return null;
  try {
    const answer = await api(event, `/api/engagement/videos/${encodeURIComponent(videoId)}/progress`, {
      schema: z.object({ progress: SavedProgress.nullable() }),
    });
    return answer.progress;
  } catch (error) {
    warn('progress unavailable', error);
    return null;
  }
}

/** Saved positions for a set of titles (finished included), for "not yet watched". */
export async function progressFor(
  event: ApiEvent,
  videoIds: readonly string[],
): Promise<Record<string, SavedProgress> | null> {
  const ids = [...new Set(videoIds)].slice(0, 100);
  if (!signedIn(event)) return null;
  if (ids.length === 0) return {};
  try {
    return await api(event, '/api/engagement/progress', {
      json: { videoIds: ids },
      schema: z.record(z.string(), SavedProgress),
    });
  } catch (error) {
    warn('progress unavailable', error);
    return null;
  }
}

/** Whether one title is in the viewer's list (null when signed out or unknown). */
export async function inMyList(event: ApiEvent, videoId: string): Promise<boolean | null> {
  if (!signedIn(event)) return null;
  try {
    return (await api(event, `/api/engagement/videos/${encodeURIComponent(videoId)}/list`, { schema: ListState }))
      .inList;
  } catch (error) {
    warn('my list unavailable', error);
    return null;
  }
}
