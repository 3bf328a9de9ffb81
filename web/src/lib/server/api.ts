import { json } from '@sveltejs/kit';
import type { RequestEvent } from '@sveltejs/kit';
import { z } from 'zod';
import { MediaState, VideoStatus } from '#shared/responses.js';
import { webConfig } from './config';

/**
 * The web's backend-for-frontend helper: server-side code (load functions, form actions,
 * +server.ts endpoints) calls the API as the signed-in person. The browser never holds the access
 * token (the session is an httpOnly cookie), so every API call that needs one goes through here.
 */

// ---------------------------------------------------------------------------------------------
// Shapes the web reads (the public contract; parsed loosely so a new field never breaks a page)
// ---------------------------------------------------------------------------------------------

/** A catalog video. Viewers get the public fields only; admins also get the upload internals. */
export const CatalogVideo = z.object({
  videoId: z.string(),
  title: z.string(),
  description: z.string(),
  cast: z.array(z.string()),
  genres: z.array(z.string()),
  priceJpy: z.number(),
  freePreview: z.boolean(),
  status: VideoStatus,
  published: z.boolean(),
  publishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  durationSeconds: z.number().nullable().optional(),
  posterKey: z.string().nullable().optional(),
  // Admin-only fields.
  upload: z
    .object({ uploadId: z.string(), size: z.number(), partSize: z.number(), partCount: z.number() })
    .loose()
    .nullable()
    .optional(),
  sourceKey: z.string().nullable().optional(),
  failureReason: z.string().nullable().optional(),
});
export type CatalogVideo = z.infer<typeof CatalogVideo>;

/** `GET /api/catalog/videos` */
export const VideoPage = z.object({ items: z.array(CatalogVideo), nextCursor: z.string().nullable().optional() });
export type VideoPage = z.infer<typeof VideoPage>;

/** `GET /api/media/videos/:id`; admins also see attempts, timings and the plan (kept as-is). */
export const MediaStatus = z
  .object({
    state: MediaState,
    progress: z.number(),
    renditions: z.array(z.record(z.string(), z.unknown())),
    poster: z.string().nullable(),
    /** The seek-bar storyboard's WebVTT key (under the title's HLS path); absent for older titles. */
    storyboard: z.string().nullable().optional(),
    error: z.string().optional(),
  })
  .loose();
export type MediaStatus = z.infer<typeof MediaStatus>;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** One field problem, as the API's `invalid_input` details name it (`path` is dotted, e.g. `cast.2`). */
export interface FieldIssue {
  path: string;
  message: string;
}

const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
const Issues = z.array(z.object({ path: z.string(), message: z.string() }));

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    /** The API's machine code (`not_found`, `invalid_input`, …); `unavailable`/`bad_gateway` when it never answered well. */
    readonly code: string = 'internal',
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The field problems of an `invalid_input` answer (empty otherwise). */
  get issues(): FieldIssue[] {
    return Issues.safeParse(this.details).data ?? [];
  }
}

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

/** What the helper needs of a SvelteKit event: who is signed in. Load, action and endpoint events all fit. */
export type ApiEvent = Pick<RequestEvent, 'locals'>;

export interface ApiInit<S extends z.ZodType | undefined = undefined> {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is (a file), with its content type; `json` wins if both are given. */
  raw?: { bytes: Uint8Array<ArrayBuffer>; contentType: string };
  /** Appended to the path; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** Parses the answer; without it the answer is returned as `unknown`. */
  schema?: S;
  timeoutMs?: number;
}

type Answer<S> = S extends z.ZodType ? z.infer<S> : unknown;

/**
 * Calls `path` on the API (KINEMA_API_ORIGIN) as the event's signed-in person (no bearer when
 * anonymous), and returns the parsed JSON (undefined for 204). Any non-2xx answer, unreachable API
 * or unexpected shape throws an ApiError carrying the API's code, message and details.
 */
export async function api<S extends z.ZodType | undefined = undefined>(
  event: ApiEvent,
  path: string,
  init: ApiInit<S> = {},
): Promise<Answer<S>> {
  const url = new URL(path, webConfig().KINEMA_API_ORIGIN);
  for (const [name, value] of Object.entries(init.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = event.locals.session?.accessToken;
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  else if (init.raw) headers['content-type'] = init.raw.contentType;
  const payload = init.json !== undefined ? JSON.stringify(init.json) : init.raw?.bytes;

  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? (payload === undefined ? 'GET' : 'POST'),
      headers,
      ...(payload === undefined ? {} : { body: payload }),
      signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError(503, `the API could not be reached: ${reason}`, 'unavailable');
  }
  const body: unknown = response.status === 204 ? undefined : await response.json().catch(() => undefined);
  if (!response.ok) {
    const parsed = ErrorBody.safeParse(body).data?.error;
    throw new ApiError(
      response.status,
      parsed?.message ?? `${url.pathname} answered ${response.status}`,
      parsed?.code ?? (response.status >= 500 ? 'internal' : 'invalid_input'),
      parsed?.details,
    );
  }
  if (!init.schema) return body as Answer<S>;
  const parsed = init.schema.safeParse(body);
  if (!parsed.success) throw new ApiError(502, `${url.pathname} answered an unexpected shape`, 'bad_gateway');
  return parsed.data as Answer<S>;
}

/** The older form of `api` for a GET with a bare token (kept for callers that predate it). */
export async function apiGet<S extends z.ZodType>(path: string, accessToken: string, schema: S): Promise<z.infer<S>> {
  const locals = { session: { accessToken } } as unknown as App.Locals;
  return (await api({ locals }, path, { schema })) as z.infer<S>;
}

// ---------------------------------------------------------------------------------------------
// The JSON proxy for browser calls
// ---------------------------------------------------------------------------------------------

/** One API route the browser may reach through the proxy: a method and a path pattern. */
export interface ProxyRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Matched against the whole API path (no query), e.g. /^\/api\/catalog\/videos\/[\w-]+\/upload$/. */
  path: RegExp;
}

const MAX_PROXY_BODY = 256 * 1024;

/** Answers in the API's own error shape, so the browser parses one format either way. */
export const errorJson = (status: number, code: string, message: string, details?: unknown) =>
  json({ error: details === undefined ? { code, message } : { code, message, details } }, { status });

/**
 * Forwards a JSON call the browser makes (e.g. start, resume or complete an upload) to the API with
 * the session's bearer. Admins only, and only to the allow-listed routes: the proxy must never turn
 * into an open door to every API path with the admin's token. `apiPath` is the API path the
 * endpoint built (the query of the incoming request is forwarded as-is). The API's status and JSON
 * body come back unchanged; upload bytes never pass here (they go straight to the part URLs).
 */
export async function proxy(event: RequestEvent, apiPath: string, allow: readonly ProxyRoute[]): Promise<Response> {
  const { locals, request, url } = event;
  if (!locals.user || !locals.session) return errorJson(401, 'unauthorized', 'sign in to continue');
  if (!locals.user.roles.includes('admin')) return errorJson(403, 'forbidden', 'admins only');
  const method = request.method.toUpperCase();
  // Decoding and normalising first means `..` or encoded slashes cannot slip past the allow-list.
  const normalised = new URL(apiPath, 'http://api.invalid').pathname;
  if (normalised !== apiPath || !allow.some((route) => route.method === method && route.path.test(apiPath))) {
    return errorJson(403, 'forbidden', `${method} ${apiPath} is not open to the browser`);
  }
  let body: string | undefined;
  if (method !== 'GET' && method !== 'DELETE') {
    const type = request.headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) return errorJson(415, 'unsupported_media_type', 'send JSON');
    body = await request.text();
    if (Buffer.byteLength(body) > MAX_PROXY_BODY) return errorJson(413, 'payload_too_large', 'the body is too large');
  }
  const target = new URL(apiPath, webConfig().KINEMA_API_ORIGIN);
  target.search = url.search;
  let response: Response;
  try {
    response = await fetch(target, {
      method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${locals.session.accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return errorJson(503, 'unavailable', `the API could not be reached: ${reason}`);
  }
  if (response.status === 204) return new Response(null, { status: 204 });
  return new Response(await response.text(), {
    status: response.status,
    headers: {
      'content-type': response.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
    },
  });
}
