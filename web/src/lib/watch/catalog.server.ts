import type { RequestEvent } from '@sveltejs/kit';
import { api, ApiError, CatalogVideo, MediaStatus, VideoPage } from '$lib/server/api';
import type { ApiEvent } from '$lib/server/api';
import { webConfig } from '$lib/server/config';
import type { CatalogPage, VideoSummary } from './types';

export type { CatalogPage, VideoSummary } from './types';

/** Ids as the API accepts them: anything else cannot exist, so it is a 404 without a call. */
const ID = /^[0-9a-z][0-9a-z_-]{0,63}$/;

function summary(video: CatalogVideo): VideoSummary {
  return {
    videoId: video.videoId,
    title: video.title,
    description: video.description,
    cast: video.cast,
    genres: video.genres,
    priceJpy: video.priceJpy,
    freePreview: video.freePreview,
    published: video.published,
    durationSeconds: video.durationSeconds ?? null,
    posterKey: video.posterKey ?? null,
  };
}

export const PAGE_SIZE = 24;

/**
 * One page of the catalog as viewers see it. Admins get unpublished videos from the API too; the
 * shop window shows what is showing, so those are left out here (the admin page lists them).
 */
export async function publishedPage(event: ApiEvent, cursor: string | undefined): Promise<CatalogPage> {
  const page = await api(event, '/api/catalog/videos', {
    query: { limit: PAGE_SIZE, cursor },
    schema: VideoPage,
  });
  return {
    items: page.items.filter((video) => video.published).map(summary),
    nextCursor: page.nextCursor ?? null,
  };
}

/** The pool the shelves and "more like this" draw from: the newest published titles (one call). */
export const SHELF_POOL = 100;

/** The newest published titles, for genre rows and related titles; empty when the catalog is away. */
export async function shelfPool(event: ApiEvent): Promise<VideoSummary[]> {
  try {
    const page = await api(event, '/api/catalog/videos', { query: { limit: SHELF_POOL }, schema: VideoPage });
    return page.items.filter((video) => video.published).map(summary);
  } catch (error) {
    console.error(JSON.stringify({ level: 'warn', msg: 'shelf pool unavailable', err: String(error) }));
    return [];
  }
}

/**
 * Summaries for the given ids, in their order: from `known` when there, else one catalog call
 * each (at most `max`); unknown or unpublished ids are left out.
 */
export async function summariesFor(
  event: ApiEvent,
  videoIds: readonly string[],
  known: readonly VideoSummary[],
  max = 24,
): Promise<VideoSummary[]> {
  const byId = new Map(known.map((video) => [video.videoId, video]));
  const wanted = videoIds.slice(0, max);
  const found = await Promise.all(
    wanted.map(async (videoId) => byId.get(videoId) ?? (await findVideo(event, videoId).catch(() => null))),
  );
  return found.filter((video): video is VideoSummary => video !== null && video.published);
}

/** A video for its page, or null when there is none this person may see (unknown or unpublished). */
export async function findVideo(event: ApiEvent, videoId: string): Promise<VideoSummary | null> {
  if (!ID.test(videoId)) return null;
  try {
    return summary(await api(event, `/api/catalog/videos/${videoId}`, { schema: CatalogVideo }));
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return null;
    throw error;
  }
}

export interface MediaFacts {
  /** The qualities a ready video offers (heights, best first); empty when unknown or not ready. */
  heights: number[];
  /** The storyboard WebVTT relative to the master playlist (seek-bar thumbnails), when there is one. */
  storyboard: string | null;
}

/** What the media service says of a title's renditions and storyboard; nothing when it cannot say. */
export async function mediaFacts(event: ApiEvent, videoId: string): Promise<MediaFacts> {
  const none: MediaFacts = { heights: [], storyboard: null };
  try {
    const media = await api(event, `/api/media/videos/${videoId}`, { schema: MediaStatus });
    if (media.state !== 'ready') return none;
    const heights = media.renditions
      .map((rendition) => {
        const { width, height } = rendition;
        return typeof width === 'number' && typeof height === 'number' ? Math.min(width, height) : 0;
      })
      .filter((height) => height > 0);
    const hls = `media/videos/${videoId}/hls/`;
    const storyboard = media.storyboard?.startsWith(hls) ? media.storyboard.slice(hls.length) : null;
    return { heights: [...new Set(heights)].sort((a, b) => b - a), storyboard };
  } catch {
    // Only decoration on the page: without it the page still works.
    return none;
  }
}

/**
 * `POST /api/entitlement/playback/:id` as the signed-in person. The API's answer comes back as is,
 * with its three CloudFront `Set-Cookie` headers (the browser must receive them unchanged: their
 * Path, Domain and SameSite are chosen by the API for the media origin).
 */
export async function playbackResponse(event: Pick<RequestEvent, 'locals'>, videoId: string): Promise<Response> {
  const token = event.locals.session?.accessToken;
  const noStore = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (!token) {
    const body = { error: { code: 'unauthorized', message: 'sign in to watch' } };
    return new Response(JSON.stringify(body), { status: 401, headers: noStore });
  }
  if (!ID.test(videoId)) {
    return new Response(JSON.stringify({ error: { code: 'not_found', message: 'video not found' } }), {
      status: 404,
      headers: noStore,
    });
  }
  let upstream: Response;
  try {
    upstream = await fetch(new URL(`/api/entitlement/playback/${videoId}`, webConfig().KINEMA_API_ORIGIN), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    const body = { error: { code: 'unavailable', message: 'playback could not be authorised just now' } };
    return new Response(JSON.stringify(body), { status: 503, headers: noStore });
  }
  const headers = new Headers(noStore);
  for (const cookie of upstream.headers.getSetCookie()) headers.append('set-cookie', cookie);
  return new Response(await upstream.text(), { status: upstream.status, headers });
}
