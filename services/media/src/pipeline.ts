import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import type { LadderEncoder, Prober } from '#shared/ports/transcoder.js';
import type { Workflow } from '#shared/ports/workflow.js';
import { localJob } from './pipeline-contract.js';
import type { JobBuilder } from './pipeline-contract.js';
import { videoRecords } from './records.js';
import { pipelineRuns } from './runs.js';
import { pipelineTasks } from './tasks.js';
import type { MediaStore } from './store.js';
import type { Subtitles } from './subtitles.js';

export { MEDIA_PIPELINE, PipelineInput, localJob } from './pipeline-contract.js';
export type { JobBuilder, MediaJob } from './pipeline-contract.js';
export { Superseded } from './records.js';
export type { FinalizeOutput } from './tasks.js';
export type { LadderEncoder, LadderJob, Prober } from '#shared/ports/transcoder.js';

export interface PipelineDeps {
  store: MediaStore;
  /** Where the HLS ladder, poster and thumbnails are written (the media bucket). */
  media: ObjectStore;
  workflow: Workflow;
  clock: Clock;
  logger?: Logger;
  /** Standalone task implementations; on AWS the probe Lambda has its own and MediaConvert transcodes. */
  prober?: Prober;
  encoder?: LadderEncoder;
  jobFor?: JobBuilder;
  /** The video's subtitles: listed in every master finalize writes, forgotten with the video. */
  subtitles?: Pick<Subtitles, 'refreshMaster' | 'removeAll'>;
}

/**
 * The media pipeline: `runs` (starting, retrying, recovering and discarding runs: the service's
 * side, `runs.ts`) and `tasks` (the workflow's task functions, `tasks.ts`) over one access to the
 * video records (`records.ts`).
 */
export function createPipeline(deps: PipelineDeps) {
  const logger = deps.logger ?? silentLogger;
  const records = videoRecords({ store: deps.store, media: deps.media, clock: deps.clock });
  const runs = pipelineRuns(records, {
    workflow: deps.workflow,
    clock: deps.clock,
    logger,
    ...(deps.subtitles ? { forgetSubtitles: deps.subtitles.removeAll } : {}),
  });
  const tasks = pipelineTasks(records, runs, {
    clock: deps.clock,
    logger,
    jobFor: deps.jobFor ?? localJob,
    ...(deps.prober ? { prober: deps.prober } : {}),
    ...(deps.encoder ? { encoder: deps.encoder } : {}),
    ...(deps.subtitles ? { refreshSubtitles: deps.subtitles.refreshMaster } : {}),
  });
  return { runs, tasks };
}

export type Pipeline = ReturnType<typeof createPipeline>;

/** The workflow's Task states and the functions that run them standalone. */
export function localTaskHandlers(pipeline: Pipeline): Record<string, (input: unknown) => Promise<unknown>> {
  return {
    Probe: pipeline.tasks.probe,
    Transcode: pipeline.tasks.transcode,
    Finalize: pipeline.tasks.finalize,
    PublishReady: pipeline.tasks.publish,
    PublishFailed: pipeline.tasks.publish,
  };
}
