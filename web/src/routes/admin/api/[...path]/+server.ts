import { proxy } from '$lib/server/api';
import type { ProxyRoute } from '$lib/server/api';
import type { RequestHandler } from './$types';

const ID = '[0-9a-z][0-9a-z_-]{0,63}';
const route = (method: ProxyRoute['method'], path: string): ProxyRoute => ({ method, path: new RegExp(`^${path}$`) });

/**
 * The only API calls the admin's browser makes through the web (with the session's bearer): the
 * upload's start / resume / complete / abort, and the status reads and retry the admin page polls.
 * Everything else stays server-side in load functions and form actions.
 */
const ALLOW: readonly ProxyRoute[] = [
  route('GET', `/api/catalog/videos/${ID}`),
  route('POST', `/api/catalog/videos/${ID}/upload`),
  route('GET', `/api/catalog/videos/${ID}/upload`),
  route('DELETE', `/api/catalog/videos/${ID}/upload`),
  route('POST', `/api/catalog/videos/${ID}/upload/complete`),
  route('GET', `/api/media/videos/${ID}`),
  route('POST', `/api/media/videos/${ID}/retry`),
];

const forward: RequestHandler = (event) => proxy(event, `/api/${event.params.path}`, ALLOW);

export const GET = forward;
export const POST = forward;
export const DELETE = forward;
