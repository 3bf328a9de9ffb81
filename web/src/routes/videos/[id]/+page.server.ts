import { error } from '@sveltejs/kit';
import { likeState, liveSource } from '$lib/engagement/likes.server';
import { myList, progressFor, savedProgress } from '$lib/engagement/viewing.server';
import type { ViewerAccess } from '$lib/watch/access';
import { findVideo, mediaFacts, shelfPool } from '$lib/watch/catalog.server';
import { relatedTitles, upNext } from '$lib/watch/related';
import { accessFor, planPrice } from '$lib/watch/entitlement.server';
import type { PageServerLoad } from './$types';

/** Titles in the "more like this" row. */
const RELATED = 12;

/**
 * A video's page: its facts, what may be done with it (Play, Rent, Subscribe), its qualities, where
 * the viewer left it, "more like this" and the title offered when it ends (up next).
 */
export const load: PageServerLoad = async (event) => {
  // After a payment the page asks again (invalidate) until the webhook has granted access.
  event.depends('kinema:access');
  const video = await findVideo(event, event.params.id);
  // Unknown, deleted and (for viewers) unpublished titles look the same: not found.
  if (!video) error(404, { message: 'video not found', code: 'not_found' });
  const [facts, planPriceJpy, likes, saved, listed, pool] = await Promise.all([
    mediaFacts(event, video.videoId),
    planPrice(event),
    // Unpublished titles (an admin's preview) cannot be liked: no button there.
    video.published ? likeState(event, video.videoId) : Promise.resolve(null),
    savedProgress(event, video.videoId),
    myList(event),
    shelfPool(event),
  ]);
  const related = relatedTitles(video, pool, RELATED);
  const [answers, positions] = await Promise.all([
    accessFor(event, [video.videoId, ...related.map((other) => other.videoId)]),
    progressFor(
      event,
      related.map((other) => other.videoId),
    ),
  ]);
  const next = upNext(related, {
    canWatch: (videoId) => answers?.[videoId]?.canWatch === true,
    watched: new Set(Object.keys(positions ?? {})),
  });
  return {
    video,
    heights: facts.heights,
    storyboard: facts.storyboard,
    access: answers?.[video.videoId] ?? fallbackAccess(event.locals.user, video),
    relatedAccess: answers ?? {},
    planPriceJpy,
    likes,
    live: liveSource(),
    saved,
    myList: listed,
    related,
    upNext: next ? { video: next, canWatch: answers?.[next.videoId]?.canWatch === true } : null,
  };
};

/** When entitlement cannot answer: what is certain without it (admins, free titles); no purchase offers. */
function fallbackAccess(user: App.Locals['user'], video: { freePreview: boolean }): ViewerAccess {
  if (user?.roles.includes('admin')) return { canWatch: true, reason: 'admin', expiresAt: null };
  if (video.freePreview) return { canWatch: true, reason: 'free_preview', expiresAt: null };
  return { canWatch: false, reason: 'not_found', expiresAt: null };
}
