import { json } from '@sveltejs/kit';
import { api, ApiError } from '$lib/server/api';
import { webConfig } from '$lib/server/config';
import { LikeState } from '$lib/engagement/likes.server';
import type { RequestEvent, RequestHandler } from './$types';

/**
 * The like button's way to the engagement API: the browser holds no access token (the session is
 * httpOnly), so this endpoint calls `PUT`/`DELETE /api/engagement/videos/:id/like` as the signed-in
 * viewer and answers `{count, liked}`; `GET` refetches the state after a dropped live connection.
 * Only this site's pages may write through it.
 */
const noStore = { 'cache-control': 'private, no-store' };

async function forward(event: RequestEvent, method: 'GET' | 'PUT' | 'DELETE') {
  if (method !== 'GET') {
    const origin = event.request.headers.get('origin');
    if (origin !== null && origin !== webConfig().KINEMA_PUBLIC_URL) {
      return json({ error: { code: 'forbidden', message: 'cross-site likes are refused' } }, { status: 403 });
    }
    if (!event.locals.session) {
      return json({ error: { code: 'unauthorized', message: 'sign in to like' } }, { status: 401, headers: noStore });
    }
  }
  const id = encodeURIComponent(event.params.id);
  try {
    const state = await api(event, `/api/engagement/videos/${id}/${method === 'GET' ? 'likes' : 'like'}`, {
      method,
      schema: LikeState,
    });
    return json(state, { headers: noStore });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const headers: Record<string, string> = { ...noStore };
    if (error.status === 429) headers['retry-after'] = '1';
    return json({ error: { code: error.code, message: error.message } }, { status: error.status, headers });
  }
}

export const GET: RequestHandler = (event) => forward(event, 'GET');
export const PUT: RequestHandler = (event) => forward(event, 'PUT');
export const DELETE: RequestHandler = (event) => forward(event, 'DELETE');
