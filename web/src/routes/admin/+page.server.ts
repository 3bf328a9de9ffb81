import { fail } from '@sveltejs/kit';
import { requireAdmin } from '$lib/admin/guard.server';
import { api, ApiError, MediaStatus, VideoPage } from '$lib/server/api';
import type { CatalogVideo } from '$lib/server/api';
import type { Actions, PageServerLoad } from './$types';
import { readForm } from '$lib/server/form';

const PAGE_SIZE = 50;

export const load: PageServerLoad = async (event) => {
  await event.parent();
  const cursor = event.url.searchParams.get('cursor') ?? undefined;
  let videos: CatalogVideo[] = [];
  let nextCursor: string | null = null;
  let loadError: string | null = null;
  try {
    const page = await api(event, '/api/catalog/videos', {
      query: { limit: PAGE_SIZE, cursor },
      schema: VideoPage,
    });
    videos = page.items;
    nextCursor = page.nextCursor ?? null;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    loadError = error.message;
  }
  // The first figure for each video being processed; the page then polls every 2 s.
  const processing = videos.filter((video) => video.status === 'processing');
  const media = Object.fromEntries(
    await Promise.all(
      processing.map(async (video) => {
        const status = await api(event, `/api/media/videos/${video.videoId}`, { schema: MediaStatus }).catch(
          () => null,
        );
        return [video.videoId, status] as const;
      }),
    ),
  );
  return { videos, nextCursor, cursor: cursor ?? null, loadError, media };
};

/** Publish, unpublish and retry from the list: plain form posts, enhanced in the page. */
async function act(event: Parameters<Actions[string]>[0], path: (videoId: string) => string) {
  requireAdmin(event);
  const videoId = String((await readForm(event.request)).get('videoId') ?? '');
  if (!/^[0-9a-z][0-9a-z_-]{0,63}$/.test(videoId)) return fail(400, { videoId, message: 'no such video' });
  try {
    await api(event, path(videoId), { method: 'POST' });
    return { videoId, done: true };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return fail(error.status, { videoId, message: error.message });
  }
}

export const actions: Actions = {
  publish: (event) => act(event, (id) => `/api/catalog/videos/${id}/publish`),
  unpublish: (event) => act(event, (id) => `/api/catalog/videos/${id}/unpublish`),
  retry: (event) => act(event, (id) => `/api/media/videos/${id}/retry`),
};
