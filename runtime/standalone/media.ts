import { join } from 'node:path';
import { createMediaService } from '#services/media/src/service.js';
import type { MediaService } from '#services/media/src/service.js';
import { MEDIA_PIPELINE } from '#services/media/src/pipeline.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { localWorkflow } from '#platform/local/workflow.js';
import type { LocalWorkflow } from '#platform/local/workflow.js';
import { mediaPipelineDefinition as mediaPipeline } from '#workflows/index.js';
import { ffmpegBinaries } from '#platform/local/ffmpeg/binaries.js';
import { storeProber } from '#platform/local/ffmpeg/probe.js';
import { ffmpegTranscoder } from '#platform/local/ffmpeg/transcoder.js';

/** The workflow JSON (the same file infra deploys to Step Functions). */
export function mediaPipelineDefinition(): unknown {
  return mediaPipeline;
}

export interface LocalMediaOptions {
  table: Table;
  verifier: TokenVerifier;
  /** The uploads (read) and the media outputs (written); standalone both live in one file store. */
  sources: ObjectStore;
  media: ObjectStore;
  /** Scratch folder for probe and transcode copies. */
  workDir: string;
  clock: Clock;
  logger?: Logger;
  /** PATH to look for system ffmpeg/ffprobe in; the packaged binaries otherwise. */
  path?: string;
  /** x264 preset (default veryfast). */
  preset?: string;
}

/**
 * The media service standalone: ffprobe/ffmpeg behind the pipeline's Prober and LadderEncoder, the
 * media-pipeline ASL run by aws-local-stepfunctions with each Task state mapped to the service's
 * task functions. The caller mounts `service.app`, registers `service.subscriptions`, calls
 * `service.recover()` once at start, and `close()` at shutdown.
 */
export function localMedia(options: LocalMediaOptions): {
  service: MediaService;
  workflow: LocalWorkflow;
  close(): Promise<void>;
} {
  const logger = options.logger ?? silentLogger;
  const { ffmpegPath, ffprobePath } = ffmpegBinaries(options.path);
  const encoder = ffmpegTranscoder({
    ffmpegPath,
    workDir: join(options.workDir, 'transcode'),
    sources: options.sources,
    media: options.media,
    ...(options.preset ? { preset: options.preset } : {}),
  });
  const prober = storeProber({
    ffprobePath,
    ffmpegPath,
    sources: options.sources,
    workDir: join(options.workDir, 'probe'),
  });
  // The workflow needs the service's tasks and the service needs the workflow: tasks are looked up late.
  const wired: { service?: MediaService } = {};
  const task = (name: string) => async (input: unknown) => {
    const handler = wired.service?.tasks[name];
    if (!handler) throw new Error(`media task ${name} is not wired`);
    return handler(input);
  };
  const workflow = localWorkflow({
    definitions: { [MEDIA_PIPELINE]: mediaPipelineDefinition() },
    handlers: {
      [MEDIA_PIPELINE]: Object.fromEntries(
        ['Probe', 'Transcode', 'Finalize', 'PublishReady', 'PublishFailed'].map((name) => [name, task(name)]),
      ),
    },
    logger: logger.child({ part: 'workflow' }),
  });
  const service = createMediaService({
    table: options.table,
    verifier: options.verifier,
    media: options.media,
    workflow,
    clock: options.clock,
    logger,
    prober,
    encoder,
  });
  wired.service = service;
  return {
    service,
    workflow,
    async close() {
      await encoder.close();
      await workflow.close();
    },
  };
}
