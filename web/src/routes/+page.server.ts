import { redirect } from '@sveltejs/kit';
import { likesFor } from '$lib/engagement/likes.server';
import { ApiError } from '$lib/server/api';
import type { ViewerAccess } from '$lib/watch/access';
import { publishedPage } from '$lib/watch/catalog.server';
import { accessFor, planPrice } from '$lib/watch/entitlement.server';
import type { VideoSummary } from '$lib/watch/types';
import type { PageServerLoad } from './$types';

/**
 * The home page's catalog grid, rendered on the server, with Play / Rent / Subscribe per card
 * from ONE batched access call for the page. `?cursor=` shows a later page (the "show more" link
 * without JavaScript); with JavaScript the page appends pages from GET /videos instead.
 */
export const load: PageServerLoad = async (event) => {
  const cursor = event.url.searchParams.get('cursor') ?? undefined;
  let catalog: { items: VideoSummary[]; nextCursor: string | null } | null = null;
  try {
    catalog = await publishedPage(event, cursor);
  } catch (error) {
    // A cursor from an old link or a hand-edited URL: start from the beginning.
    if (cursor && error instanceof ApiError && error.status === 400) redirect(303, '/');
    console.error(JSON.stringify({ level: 'warn', msg: 'catalog unavailable', err: String(error) }));
  }
  const ids = catalog?.items.map((video) => video.videoId) ?? [];
  const [access, planPriceJpy, likes] = await Promise.all([
    catalog ? accessFor(event, ids) : Promise.resolve(null),
    planPrice(event),
    likesFor(event, ids),
  ]);
  return {
    catalog,
    access: access ?? ({} as Record<string, ViewerAccess>),
    likes: likes ?? {},
    planPriceJpy,
    cursor: cursor ?? null,
  };
};
