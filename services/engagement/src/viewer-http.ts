import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { AppError, forbidden, notFound } from '#shared/errors.js';
import type { AppEnv, ServiceApp } from '#shared/http/app.js';
import { requirePrincipal } from '#shared/http/auth.js';
import { bearer, errors, JSON_BODY_ERRORS, jsonRequest } from '#shared/http/openapi.js';
import { Id } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import { ListEntry, ListState } from './domain/my-list.js';
import type { ProgressReport } from './domain/progress.js';
import {
  CONTINUE_LIMIT,
  ContinueItem,
  isFinished,
  Progress,
  ProgressReport as ReportSchema,
} from './domain/progress.js';
import { isOnShow } from './domain/video.js';
import { progressWriter } from './progress-writer.js';
import type { LikeStore } from './store.js';
import type { ViewerStore } from './viewer-store.js';
import type { Viewer, WatchAccess } from './watch-access.js';

export interface ViewerRouteDeps {
  viewers: ViewerStore;
  /** The catalog facts engagement keeps (published or not). */
  likes: Pick<LikeStore, 'video'>;
  access: WatchAccess | undefined;
  now: () => number;
  /** At most one stored position per viewer and title in this window; default 5 s. */
  progressWindowMs?: number;
  /** Positions written in one transaction at most (group commit); default 1. */
  progressBatch?: number;
  logger?: Logger;
}

const VideoParams = z.object({ id: Id });
const BatchBody = z.object({ videoIds: z.array(Id).min(1).max(100) });
const json = <S extends z.ZodType>(schema: S, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

const SavedProgress = Progress.extend({
  /** False when a newer report for the same title arrived within the window and was kept instead. */
  stored: z.boolean(),
});

const progressRoute = createRoute({
  method: 'put',
  path: '/videos/{id}/progress',
  summary: 'Report where the viewer is in a title (coalesced: at most one write per 5 s per title)',
  security: bearer,
  request: { params: VideoParams, body: jsonRequest(ReportSchema) },
  responses: {
    200: json(SavedProgress, 'the position as kept'),
    ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'forbidden', 'unavailable'),
  },
});

const readProgressRoute = createRoute({
  method: 'get',
  path: '/videos/{id}/progress',
  summary: 'Where the viewer left a title (null when never started)',
  security: bearer,
  request: { params: VideoParams },
  responses: {
    200: json(z.object({ progress: Progress.nullable() }), 'the saved position'),
    ...errors('invalid_input', 'unauthorized'),
  },
});

const batchProgressRoute = createRoute({
  method: 'post',
  path: '/progress',
  summary: 'Saved positions for a set of titles (finished ones included; titles never started are left out)',
  security: bearer,
  request: { body: jsonRequest(BatchBody) },
  responses: {
    200: json(z.record(z.string(), Progress), 'the positions by video id'),
    ...errors(...JSON_BODY_ERRORS, 'unauthorized'),
  },
});

const continueRoute = createRoute({
  method: 'get',
  path: '/continue-watching',
  summary: 'Unfinished titles the viewer can still watch, most recent first',
  security: bearer,
  responses: {
    200: json(z.object({ items: z.array(ContinueItem) }), 'the row'),
    ...errors('unauthorized', 'unavailable'),
  },
});

const listRoute = (method: 'put' | 'delete' | 'get') =>
  createRoute({
    method,
    path: '/videos/{id}/list',
    summary:
      method === 'put'
        ? 'Add a title to my list (idempotent)'
        : method === 'delete'
          ? 'Remove a title from my list (idempotent)'
          : 'Whether a title is in my list',
    security: bearer,
    request: { params: VideoParams },
    responses: {
      200: json(ListState, 'the title’s place in the list'),
      ...errors('invalid_input', 'unauthorized', 'not_found', 'conflict'),
    },
  });

const myListRoute = createRoute({
  method: 'get',
  path: '/list',
  summary: 'My list, newest first (titles no longer published are left out)',
  security: bearer,
  responses: {
    200: json(z.object({ items: z.array(ListEntry) }), 'the list'),
    ...errors('unauthorized'),
  },
});

/**
 * The viewer's own routes: positions, "continue watching" and "my list". Returns `flushProgress`,
 * which writes every position still waiting in its window (a server's shutdown).
 */
export function registerViewerRoutes(
  routes: ServiceApp,
  deps: ViewerRouteDeps,
): { flushProgress: () => Promise<void> } {
  const { viewers, now } = deps;
  const writer = progressWriter<{ userId: string; videoId: string; report: ProgressReport; at: number }>({
    write: async (entries) => viewers.saveProgresses(entries.map((entry) => entry.value)),
    windowMs: deps.progressWindowMs ?? 5_000,
    maxBatch: deps.progressBatch ?? 1,
    now,
    logger: deps.logger,
  });

  const viewerOf = (c: Context<AppEnv>): Viewer => ({
    userId: requirePrincipal(c.get('principal')).userId,
    authorization: c.req.header('authorization') ?? '',
  });
  const access = () => {
    if (!deps.access) throw new AppError('unavailable', 'positions need the entitlement service, not wired here');
    return deps.access;
  };

  routes.openapi(progressRoute, async (c) => {
    const viewer = viewerOf(c);
    const { id } = c.req.valid('param');
    const report = c.req.valid('json');
    const decision = (await access().decide(viewer, [id]))[id];
    // Nothing is stored for a title the viewer may not watch: no row, no "continue watching".
    if (!decision?.canWatch) throw forbidden('you cannot watch this title, so its position is not kept');
    const at = now();
    const outcome = await writer.submit(`${viewer.userId}/${id}`, { userId: viewer.userId, videoId: id, report, at });
    return c.json(
      {
        videoId: id,
        ...report,
        updatedAt: new Date(at).toISOString(),
        finished: isFinished(report),
        stored: outcome === 'written',
      },
      200,
    );
  });

  routes.openapi(readProgressRoute, async (c) => {
    const { userId } = viewerOf(c);
    return c.json({ progress: (await viewers.progress(userId, c.req.valid('param').id)) ?? null }, 200);
  });

  routes.openapi(batchProgressRoute, async (c) => {
    const { userId } = viewerOf(c);
    return c.json(await viewers.progressFor(userId, [...new Set(c.req.valid('json').videoIds)]), 200);
  });

  routes.openapi(continueRoute, async (c) => {
    const viewer = viewerOf(c);
    // Read a little more than the row holds: some may have become unwatchable (an expired rental).
    const candidates = await viewers.unfinished(viewer.userId, CONTINUE_LIMIT * 2);
    if (candidates.length === 0) return c.json({ items: [] }, 200);
    const decisions = await access().decide(
      viewer,
      candidates.map((item) => item.videoId),
    );
    const items = candidates.filter((item) => decisions[item.videoId]?.canWatch).slice(0, CONTINUE_LIMIT);
    return c.json({ items }, 200);
  });

  const listState = async (userId: string, videoId: string) => ({
    videoId,
    inList: await viewers.inList(userId, videoId),
  });

  routes.openapi(listRoute('put'), async (c) => {
    const { userId } = viewerOf(c);
    const { id } = c.req.valid('param');
    if (!isOnShow(await deps.likes.video(id))) throw notFound('video');
    await viewers.addToList(userId, id, now());
    return c.json({ videoId: id, inList: true }, 200);
  });

  routes.openapi(listRoute('delete'), async (c) => {
    const { userId } = viewerOf(c);
    const { id } = c.req.valid('param');
    await viewers.removeFromList(userId, id);
    return c.json({ videoId: id, inList: false }, 200);
  });

  routes.openapi(listRoute('get'), async (c) => {
    const { userId } = viewerOf(c);
    return c.json(await listState(userId, c.req.valid('param').id), 200);
  });

  routes.openapi(myListRoute, async (c) => {
    const { userId } = viewerOf(c);
    const entries = await viewers.list(userId);
    const shown = await Promise.all(
      entries.map(async (entry) => (isOnShow(await deps.likes.video(entry.videoId)) ? entry : undefined)),
    );
    return c.json({ items: shown.filter((entry) => entry !== undefined) }, 200);
  });

  return { flushProgress: () => writer.flush() };
}
