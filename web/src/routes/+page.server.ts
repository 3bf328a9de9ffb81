import { redirect } from '@sveltejs/kit';
import { likesFor } from '$lib/engagement/likes.server';
import { continueWatching, myList } from '$lib/engagement/viewing.server';
import { ApiError } from '$lib/server/api';
import type { ViewerAccess } from '$lib/watch/access';
import { publishedPage, shelfPool, summariesFor } from '$lib/watch/catalog.server';
import { accessFor, planPrice } from '$lib/watch/entitlement.server';
import { genreRows } from '$lib/watch/related';
import { watchedPercent } from '$lib/watch/resume';
import type { CatalogPage } from '$lib/watch/types';
import type { PageServerLoad } from './$types';

/** Genre shelves on a signed-in home page, and titles per shelf. */
const GENRE_ROWS = 4;
const PER_ROW = 12;

/**
 * The home page. Signed-in viewers get titles first: "continue watching" (with how far they got),
 * "my list" and genre shelves, then the whole catalog grid; visitors get the short introduction
 * and the grid. Play / Rent / Subscribe for every card from ONE batched access call. `?cursor=`
 * shows a later page of the grid (the "show more" link without JavaScript).
 */
export const load: PageServerLoad = async (event) => {
  const cursor = event.url.searchParams.get('cursor') ?? undefined;
  const signedIn = Boolean(event.locals.session);
  const [read, pool, resumable, listed] = await Promise.all([
    publishedPage(event, cursor).then(
      (page) => ({ page, error: null }),
      (error: unknown) => ({ page: null, error }),
    ),
    signedIn && !cursor ? shelfPool(event) : Promise.resolve([]),
    signedIn && !cursor ? continueWatching(event) : Promise.resolve(null),
    signedIn ? myList(event) : Promise.resolve(null),
  ]);
  const catalog: CatalogPage | null = read.page;
  if (read.error) {
    // A cursor from an old link or a hand-edited URL: start from the beginning.
    if (cursor && read.error instanceof ApiError && read.error.status === 400) redirect(303, '/');
    console.error(JSON.stringify({ level: 'warn', msg: 'catalog unavailable', err: String(read.error) }));
  }

  const known = [...pool, ...(catalog?.items ?? [])];
  const [continuing, listedVideos] = await Promise.all([
    summariesFor(event, resumable?.map((item) => item.videoId) ?? [], known),
    summariesFor(event, listed ?? [], known),
  ]);
  const shelves = genreRows(pool, { rows: GENRE_ROWS, perRow: PER_ROW, minTitles: 2 });
  const watched = Object.fromEntries((resumable ?? []).map((item) => [item.videoId, watchedPercent(item)]));

  const ids = [
    ...(catalog?.items ?? []),
    ...continuing,
    ...listedVideos,
    ...shelves.flatMap((shelf) => shelf.videos),
  ].map((video) => video.videoId);
  const [access, planPriceJpy, likes] = await Promise.all([
    ids.length > 0 ? accessFor(event, ids) : Promise.resolve({}),
    planPrice(event),
    likesFor(event, catalog?.items.map((video) => video.videoId) ?? []),
  ]);
  return {
    catalog,
    access: access ?? ({} as Record<string, ViewerAccess>),
    likes: likes ?? {},
    planPriceJpy,
    cursor: cursor ?? null,
    rows: signedIn ? { continuing, watched, listed: listedVideos, shelves } : null,
    myList: listed,
  };
};
