import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { AppError, notFound } from '#shared/errors.js';
import { serviceApp } from '#shared/http/app.js';
import { bearer, errors, JSON_BODY_ERRORS, jsonRequest } from '#shared/http/openapi.js';
import { authenticate, requirePrincipal } from '#shared/http/auth.js';
import { Id } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { LiveFeed } from '#shared/ports/realtime.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { LikeState, likesChannel } from './domain/likes.js';
import type { RateLimitOptions } from './domain/rate-limit.js';
import { rateLimiter } from './domain/rate-limit.js';
import { canBeLiked } from './domain/video.js';
import { likeStore } from './store.js';
import { registerViewerRoutes } from './viewer-http.js';
import { viewerStore } from './viewer-store.js';
import type { WatchAccess } from './watch-access.js';

export interface EngagementDeps {
  table: Table;
  verifier: TokenVerifier;
  clock: Clock;
  logger?: Logger;
  /** The counter shard this runtime adds to: the AWS region, or `local` standalone. */
  region?: string;
  /** Standalone's SSE hub; on AWS browsers subscribe to AppSync Events and `/live` answers 404. */
  live?: LiveFeed;
  /** Likes and unlikes per account; default a burst of 30, then 10 a second. */
  rateLimit?: RateLimitOptions;
  /** Entitlement's decision, asked before a position is kept or shown; without it those routes answer 503. */
  access?: WatchAccess;
  /** At most one stored position per viewer and title in this window; default 5 s. */
  progressWindowMs?: number;
  /**
   * Positions due together written in one transaction, at most this many; default 1. Standalone
   * passes 50 (one fsync for them all); AWS keeps 1 (a DynamoDB transaction costs double).
   */
  progressBatch?: number;
}

const MAX_BATCH = 100;
const VideoParams = z.object({ id: Id });
const BatchBody = z.object({ videoIds: z.array(Id).min(1).max(MAX_BATCH) });
const json = <S extends z.ZodType>(schema: S, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

const likeRoute = (method: 'put' | 'delete') =>
  createRoute({
    method,
    path: '/videos/{id}/like',
    summary: method === 'put' ? 'Like a video (idempotent)' : 'Withdraw a like (idempotent)',
    security: bearer,
    request: { params: VideoParams },
    responses: {
      200: json(LikeState.required(), 'the count and the viewer’s like after the change'),
      ...errors('invalid_input', 'unauthorized', 'not_found', 'too_many_requests'),
    },
  });

const likesRoute = createRoute({
  method: 'get',
  path: '/videos/{id}/likes',
  summary: 'A video’s like count, and whether the signed-in viewer likes it',
  security: bearer,
  request: { params: VideoParams },
  responses: {
    200: json(LikeState, 'the count; `liked` when signed in'),
    ...errors('invalid_input', 'unauthorized', 'not_found'),
  },
});

const batchRoute = createRoute({
  method: 'post',
  path: '/likes',
  summary: 'Like counts for a grid of videos (unknown or unpublished ids are left out)',
  security: bearer,
  request: { body: jsonRequest(BatchBody) },
  responses: {
    200: json(z.record(z.string(), LikeState), 'the state per published video'),
    ...errors(...JSON_BODY_ERRORS, 'unauthorized'),
  },
});

const liveRoute = createRoute({
  method: 'get',
  path: '/videos/{id}/live',
  summary: 'Server-sent events: `likes` with `{count}` whenever the count changes (standalone)',
  request: {
    params: VideoParams,
    headers: z.object({ 'last-event-id': z.string().max(64).optional() }),
  },
  responses: {
    200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'the live stream' },
    ...errors('invalid_input', 'not_found', 'unavailable'),
  },
});

/** The engagement service's routes: likes, their counts, the standalone live stream, positions and my list. */
export function createEngagementApp(deps: EngagementDeps) {
  return createEngagement(deps).app;
}

/**
 * The app and what a long-lived server must call when it stops: `flush()` writes the positions
 * still held in their coalescing window (the last report of each viewer and title), so an orderly
 * stop loses none. (A Lambda needs no flush: every held report keeps its request open until written.)
 */
export function createEngagement(deps: EngagementDeps) {
  const now = () => deps.clock.now();
  const store = likeStore(deps.table, { region: deps.region ?? 'local', now });
  const limiter = rateLimiter(deps.rateLimit ?? { burst: 30, perSecond: 10 });

  const routes = serviceApp({ logger: deps.logger, title: 'Kinema engagement', maxJsonBytes: 16 * 1024 });
  routes.use(authenticate(deps.verifier));

  const requireLikeable = async (videoId: string) => {
    if (!canBeLiked(await store.video(videoId))) throw notFound('video');
  };
  const state = async (videoId: string, userId?: string) => {
    const [count, liked] = await Promise.all([
      store.count(videoId),
      userId ? store.liked(videoId, userId) : Promise.resolve(undefined),
    ]);
    return liked === undefined ? { count } : { count, liked };
  };

  for (const like of [true, false]) {
    routes.openapi(likeRoute(like ? 'put' : 'delete'), async (c) => {
      const principal = requirePrincipal(c.get('principal'));
      const { id } = c.req.valid('param');
      const decision = limiter.take(principal.userId, now());
      if (!decision.allowed) {
        // The one error mapping answers; the header set here goes out with its response.
        c.header('Retry-After', String(decision.retryAfterSeconds));
        throw new AppError(
          'too_many_requests',
          `too many likes from this account; try again in ${decision.retryAfterSeconds} s`,
        );
      }
      const outcome = like ? await store.like(id, principal.userId) : await store.unlike(id, principal.userId);
      if (outcome === 'unavailable') throw notFound('video');
      return c.json({ count: await store.count(id), liked: like }, 200);
    });
  }

  routes.openapi(likesRoute, async (c) => {
    const { id } = c.req.valid('param');
    await requireLikeable(id);
    return c.json(await state(id, c.get('principal')?.userId), 200);
  });

  routes.openapi(batchRoute, async (c) => {
    const { videoIds } = c.req.valid('json');
    const userId = c.get('principal')?.userId;
    const unique = [...new Set(videoIds)];
    const entries = await Promise.all(
      unique.map(async (videoId) =>
        canBeLiked(await store.video(videoId)) ? ([videoId, await state(videoId, userId)] as const) : undefined,
      ),
    );
    return c.json(Object.fromEntries(entries.filter((entry) => entry !== undefined)), 200);
  });

  routes.openapi(liveRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!deps.live) throw new AppError('not_found', 'live updates are served by AppSync Events on this deployment');
    await requireLikeable(id);
    const response = await deps.live.open(likesChannel(id), {
      event: 'likes',
      lastEventId: c.req.valid('header')['last-event-id'],
      current: async () => ({ count: await store.count(id) }),
      signal: c.req.raw.signal,
    });
    return response as never;
  });

  const viewerRoutes = registerViewerRoutes(routes, {
    viewers: viewerStore(deps.table),
    likes: store,
    access: deps.access,
    now,
    progressWindowMs: deps.progressWindowMs,
    progressBatch: deps.progressBatch,
    logger: deps.logger,
  });

  return { app: routes, flush: viewerRoutes.flushProgress };
}
