import { json } from '@sveltejs/kit';
import { api, ApiError, errorJson } from '$lib/server/api';
import { ListState } from '$lib/engagement/viewing.server';
import type { RequestEvent, RequestHandler } from './$types';

/**
 * "My list" from any card or title page: `PUT`/`DELETE /api/engagement/videos/:id/list` as the
 * signed-in viewer. hooks.server.ts has already refused any Origin but this site's.
 */
async function forward(event: RequestEvent, method: 'PUT' | 'DELETE'): Promise<Response> {
  if (!event.locals.session) return errorJson(401, 'unauthorized', 'sign in to keep a list');
  try {
    const state = await api(event, `/api/engagement/videos/${encodeURIComponent(event.params.id)}/list`, {
      method,
      schema: ListState,
    });
    return json(state, { headers: { 'cache-control': 'private, no-store' } });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return errorJson(error.status, error.code, error.message);
  }
}

export const PUT: RequestHandler = (event) => forward(event, 'PUT');
export const DELETE: RequestHandler = (event) => forward(event, 'DELETE');
