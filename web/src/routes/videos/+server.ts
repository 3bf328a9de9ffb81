import { json, redirect } from '@sveltejs/kit';
import { likesFor } from '$lib/engagement/likes.server';
import { publishedPage } from '$lib/watch/catalog.server';
import { accessFor } from '$lib/watch/entitlement.server';
import type { RequestHandler } from './$types';

/**
 * `GET /videos?cursor=…`: the next page of the catalog grid as JSON, for the home page's
 * "show more" button, with the page's access answers (one batched call, as for the first page).
 * A person who opens /videos in the browser lands on the home page instead.
 */
export const GET: RequestHandler = async (event) => {
  if ((event.request.headers.get('accept') ?? '').includes('text/html')) redirect(303, '/');
  const cursor = event.url.searchParams.get('cursor') ?? undefined;
  const page = await publishedPage(event, cursor);
  const ids = page.items.map((video) => video.videoId);
  const [access, likes] = await Promise.all([accessFor(event, ids), likesFor(event, ids)]);
  return json(
    { ...page, access: access ?? {}, likes: likes ?? {} },
    { headers: { 'cache-control': 'private, no-store' } },
  );
};
