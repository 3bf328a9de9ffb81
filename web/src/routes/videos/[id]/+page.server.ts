import { error } from '@sveltejs/kit';
import { availableHeights, findVideo, provisionalAccess } from '$lib/watch/catalog.server';
import type { PageServerLoad } from './$types';

/** A video's page: its facts, what may be done with it, and the qualities it comes in. */
export const load: PageServerLoad = async (event) => {
  const video = await findVideo(event, event.params.id);
  // Unknown, deleted and (for viewers) unpublished titles look the same: not found.
  if (!video) error(404, { message: 'video not found', code: 'not_found' });
  const heights = await availableHeights(event, video.videoId);
  return { video, heights, access: provisionalAccess(event.locals.user, video) };
};
