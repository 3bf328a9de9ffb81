import { AppError } from '#shared/errors.js';
import { parseInput, serviceApp } from '#shared/http/app.js';
import { adminOnly, authenticate } from '#shared/http/auth.js';
import { Id } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { publicView } from './domain/media-video.js';
import type { Pipeline } from './pipeline.js';
import { mediaStore } from './store.js';

export interface MediaDeps {
  table: Table;
  verifier: TokenVerifier;
  clock: Clock;
  logger?: Logger;
  /** Runs the pipeline (retry); without it the retry route answers 503. */
  pipeline?: Pipeline;
}

/**
 * The media service's routes:
 *   GET  /videos/:id        the pipeline state; anyone may read it, admins also see the details
 *   POST /videos/:id/retry  (admin) restarts a failed video
 */
export function createMediaApp(deps: MediaDeps) {
  const store = mediaStore(deps.table);
  const app = serviceApp({ logger: deps.logger });
  app.use(authenticate(deps.verifier));

  app.get('/videos/:id', async (c) => {
    const videoId = parseInput(Id, c.req.param('id'));
    const admin = c.get('principal')?.roles.includes('admin') ?? false;
    const found = await store.find(videoId);
    c.header('cache-control', 'no-store');
    return c.json(publicView(found?.video, admin));
  });

  app.post('/videos/:id/retry', adminOnly, async (c) => {
    const videoId = parseInput(Id, c.req.param('id'));
    if (!deps.pipeline) throw new AppError('unavailable', 'the media pipeline is not running here');
    const video = await deps.pipeline.runs.retry(videoId);
    return c.json(publicView(video, true), 202);
  });

  return app;
}
