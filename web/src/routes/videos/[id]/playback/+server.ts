import { json } from '@sveltejs/kit';
import { webConfig } from '$lib/server/config';
import { playbackResponse } from '$lib/watch/catalog.server';
import type { RequestHandler } from './$types';

/**
 * The player's way to the title's CloudFront cookies: the browser has no access token (the session
 * is httpOnly), so this endpoint calls the entitlement API with the session's bearer and passes the
 * answer and its Set-Cookie headers through. Only this site's pages may call it.
 */
export const POST: RequestHandler = async (event) => {
  const origin = event.request.headers.get('origin');
  if (origin !== null && origin !== webConfig().KINEMA_PUBLIC_URL) {
    return json({ error: { code: 'forbidden', message: 'cross-site playback requests are refused' } }, { status: 403 });
  }
  return playbackResponse(event, event.params.id);
};
