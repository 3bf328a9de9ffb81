import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import type { Workflow } from '#shared/ports/workflow.js';
import { createMediaApp } from './http.js';
import { createPipeline, localTaskHandlers } from './pipeline.js';
import type { JobBuilder, LadderEncoder, Prober } from './pipeline.js';
import { mediaStore } from './store.js';
import { mediaSubscriptions } from './subscribers.js';
import { createSubtitles } from './subtitles.js';

export interface MediaServiceDeps {
  table: Table;
  verifier: TokenVerifier;
  /** The media bucket: HLS ladders, posters, thumbnails. The source is read by the prober/encoder. */
  media: ObjectStore;
  workflow: Workflow;
  clock: Clock;
  logger?: Logger;
  prober?: Prober;
  encoder?: LadderEncoder;
  jobFor?: JobBuilder;
}

/**
 * The media service, composed: its Hono app, its subscriptions, the workflow's task functions
 * (standalone maps them onto the Task states) and `recover()`, which a standalone server calls at
 * start (and may call periodically) so no video stays "processing" after a crash.
 */
export function createMediaService(deps: MediaServiceDeps) {
  const logger = deps.logger ?? silentLogger;
  const subtitles = createSubtitles({ table: deps.table, media: deps.media, clock: deps.clock, logger });
  const pipeline = createPipeline({
    subtitles,
    store: mediaStore(deps.table),
    media: deps.media,
    workflow: deps.workflow,
    clock: deps.clock,
    logger,
    ...(deps.prober ? { prober: deps.prober } : {}),
    ...(deps.encoder ? { encoder: deps.encoder } : {}),
    ...(deps.jobFor ? { jobFor: deps.jobFor } : {}),
  });
  return {
    app: createMediaApp({
      table: deps.table,
      verifier: deps.verifier,
      clock: deps.clock,
      logger,
      pipeline,
      subtitles,
      media: deps.media,
    }),
    subscriptions: mediaSubscriptions({ pipeline }),
    tasks: localTaskHandlers(pipeline),
    pipeline,
    subtitles,
    recover: () => pipeline.runs.recover(),
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
