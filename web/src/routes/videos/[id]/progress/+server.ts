import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, ApiError, errorJson } from '$lib/server/api';
import type { RequestEvent, RequestHandler } from './$types';

/**
 * The player's way to `PUT /api/engagement/videos/:id/progress` (the browser holds no token).
 * `PUT` takes JSON; `POST` is the page's `navigator.sendBeacon` on hide/unload, whose body is the
 * same JSON sent as text/plain (a beacon cannot set a JSON type without a CORS preflight). Both
 * are state changes: hooks.server.ts has already refused any Origin but this site's. The body is
 * parsed here (size and shape) and again, strictly, by the engagement service.
 */
const MAX_BODY = 1024;
const Report = z.object({ positionSeconds: z.number(), durationSeconds: z.number() }).strict();
const noStore = { 'cache-control': 'private, no-store' };

async function forward(event: RequestEvent, types: RegExp): Promise<Response> {
  if (!event.locals.session) return errorJson(401, 'unauthorized', 'sign in to keep your place');
  const type = event.request.headers.get('content-type') ?? '';
  if (!types.test(type)) return errorJson(415, 'unsupported_media_type', 'send the position as JSON');
  const text = await event.request.text();
  if (Buffer.byteLength(text) > MAX_BODY) return errorJson(413, 'payload_too_large', 'the body is too large');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return errorJson(400, 'invalid_input', 'the body is not valid JSON');
  }
  const report = Report.safeParse(body);
  if (!report.success) return errorJson(400, 'invalid_input', 'send {positionSeconds, durationSeconds}');
  try {
    const saved = await api(event, `/api/engagement/videos/${encodeURIComponent(event.params.id)}/progress`, {
      method: 'PUT',
      json: report.data,
    });
    return json(saved, { headers: noStore });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return errorJson(error.status, error.code, error.message);
  }
}

export const PUT: RequestHandler = (event) => forward(event, /^application\/json\b/i);
export const POST: RequestHandler = (event) => forward(event, /^(text\/plain|application\/json)\b/i);
