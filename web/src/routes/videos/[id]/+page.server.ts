import { error } from '@sveltejs/kit';
import { likeState, liveSource } from '$lib/engagement/likes.server';
import type { ViewerAccess } from '$lib/watch/access';
import { findVideo, mediaFacts } from '$lib/watch/catalog.server';
import { accessFor, planPrice } from '$lib/watch/entitlement.server';
import type { PageServerLoad } from './$types';

/** A video's page: its facts, what may be done with it (Play, Rent, Subscribe), and its qualities. */
export const load: PageServerLoad = async (event) => {
  // After a payment the page asks again (invalidate) until the webhook has granted access.
  event.depends('kinema:access');
  const video = await findVideo(event, event.params.id);
  // Unknown, deleted and (for viewers) unpublished titles look the same: not found.
  if (!video) error(404, { message: 'video not found', code: 'not_found' });
  const [facts, answers, planPriceJpy, likes] = await Promise.all([
    mediaFacts(event, video.videoId),
    accessFor(event, [video.videoId]),
    planPrice(event),
    // Unpublished titles (an admin's preview) cannot be liked: no button there.
    video.published ? likeState(event, video.videoId) : Promise.resolve(null),
  ]);
  return {
    video,
    heights: facts.heights,
    storyboard: facts.storyboard,
    access: answers?.[video.videoId] ?? fallbackAccess(event.locals.user, video),
    planPriceJpy,
    likes,
    live: liveSource(),
  };
};

/** When entitlement cannot answer: what is certain without it (admins, free titles); no purchase offers. */
function fallbackAccess(user: App.Locals['user'], video: { freePreview: boolean }): ViewerAccess {
  if (user?.roles.includes('admin')) return { canWatch: true, reason: 'admin', expiresAt: null };
  if (video.freePreview) {
    return user
      ? { canWatch: true, reason: 'free_preview', expiresAt: null }
      : { canWatch: false, reason: 'free_account_required', expiresAt: null };
  }
  return { canWatch: false, reason: 'not_found', expiresAt: null };
}
