import { AppError } from '#shared/errors.js';
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { serviceApp } from '#shared/http/app.js';
import { adminOnly, authenticate } from '#shared/http/auth.js';
import { bearer, errors, ok } from '#shared/http/openapi.js';
import { Id } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { publicView } from './domain/media-video.js';
import type { Pipeline } from './pipeline.js';
import { posterRoutes } from './posters.js';
import { mediaStore } from './store.js';
import { subtitleRoutes } from './subtitle-routes.js';
import type { Subtitles } from './subtitles.js';

export interface MediaDeps {
  table: Table;
  verifier: TokenVerifier;
  clock: Clock;
  logger?: Logger;
  /** Runs the pipeline (retry); without it the retry route answers 503. */
  pipeline?: Pipeline;
  /** A video's subtitles; without it the subtitle routes answer 503. */
  subtitles?: Subtitles;
  /** The media bucket, for the admin's poster picker; without it those routes answer 503. */
  media?: ObjectStore;
}

const VideoParams = z.object({ id: Id });

/**
 * The media service's routes:
 *   GET  /videos/:id        the pipeline state; anyone may read it, admins also see the details
 *   POST /videos/:id/retry  (admin) restarts a failed video
 * and the subtitle routes (subtitle-routes.ts).
 */
export function createMediaApp(deps: MediaDeps) {
  const store = mediaStore(deps.table);
  const app = serviceApp({ title: 'Kinema media', ...(deps.logger ? { logger: deps.logger } : {}) });
  app.use(authenticate(deps.verifier));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/videos/{id}',
      summary: "A video's media state: waiting, processing, ready or failed",
      description: 'Anyone may read it; admins also see the details of a failure.',
      security: bearer,
      request: { params: VideoParams },
      responses: {
        200: ok('`{state, progress, renditions, poster, storyboard, error?}`'),
        ...errors('invalid_input', 'unauthorized'),
      },
    }),
    async (c) => {
      const admin = c.get('principal')?.roles.includes('admin') ?? false;
      const found = await store.find(c.req.valid('param').id);
      c.header('cache-control', 'no-store');
      return c.json(publicView(found?.video, admin));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/videos/{id}/retry',
      summary: 'Restart the pipeline of a failed video (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { params: VideoParams },
      responses: {
        202: ok('the media state after the restart'),
        ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'unavailable'),
      },
    }),
    async (c) => {
      if (!deps.pipeline) throw new AppError('unavailable', 'the media pipeline is not running here');
      const video = await deps.pipeline.runs.retry(c.req.valid('param').id);
      return c.json(publicView(video, true), 202);
    },
  );

  subtitleRoutes(app, () => {
    if (!deps.subtitles) throw new AppError('unavailable', 'subtitles are not handled here');
    return deps.subtitles;
  });
  posterRoutes(app, { store, ...(deps.media ? { media: deps.media } : {}) });

  return app;
}
