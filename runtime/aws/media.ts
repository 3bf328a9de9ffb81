import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { executablePath, ffprobeUrl, promoteStills, readJobStateChange } from '#platform/aws/media-tasks.js';
import { frameRateFraction, mediaConvertJobSettings } from '#platform/aws/mediaconvert-job.js';
import { s3Store } from '#platform/aws/s3-store.js';
import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';
import { stepFunctionsWorkflow } from '#platform/aws/step-functions.js';
import { parseConfig } from '#shared/config.js';
import { AppError, invalidInput } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import type { Workflow } from '#shared/ports/workflow.js';
import { stillSizes } from '#services/media/src/domain/stills.js';
import { FRAME_BASE, storyboardPlan } from '#services/media/src/domain/storyboard.js';
import { POSTER_AT, THUMBNAILS_AT, mediaKeys } from '#services/media/src/domain/media-video.js';
import { MEDIA_PIPELINE } from '#services/media/src/pipeline.js';
import type { JobBuilder, Prober } from '#services/media/src/pipeline.js';
import { createMediaService } from '#services/media/src/service.js';

/**
 * What infra/media-pipeline.ts adds to the common Lambda environment. The service's functions
 * (HTTP, events) start executions and so know the state machine; the task functions run inside
 * one (their ARN would be a cycle) and put the MediaConvert role in each job instead.
 */
export const MediaEnv = z.object({
  UPLOADS_BUCKET: z.string().min(1),
  MEDIA_BUCKET: z.string().min(1),
  MEDIA_PIPELINE_ARN: z.string().startsWith('arn:').optional(),
  MEDIACONVERT_ROLE_ARN: z.string().startsWith('arn:').optional(),
  /** ffprobe shipped next to index.mjs by scripts/build-lambdas.ts, unless set. */
  FFPROBE_PATH: z.string().min(1).optional(),
});
export type MediaEnv = z.infer<typeof MediaEnv>;

export interface MediaLambdaDeps {
  env: MediaEnv;
  table: Table;
  verifier: TokenVerifier;
  clock: Clock;
  logger: Logger;
  s3: S3Client;
  sfn: SFNClient;
  ffprobePath: string;
  /** Scratch space for an executable copy of ffprobe when the package lost its mode (Lambda: /tmp). */
  scratchDir?: string;
}

/** Presigned reads of the source live long enough for a slow probe, no longer. */
const SOURCE_URL_SECONDS = 15 * 60;

const TaskRun = z.object({ videoId: z.string().min(1), run: z.number().int() });

/** The service's functions without MEDIA_PIPELINE_ARN cannot start executions; say so when asked. */
const noWorkflow: Workflow = {
  start: () => Promise.reject(new AppError('unavailable', 'this function has no media pipeline (MEDIA_PIPELINE_ARN)')),
  describe: () =>
    Promise.reject(new AppError('unavailable', 'this function has no media pipeline (MEDIA_PIPELINE_ARN)')),
};

/**
 * The media service on AWS, composed from its dependencies (so tests hand in stubbed clients):
 * the Hono app, the event subscriptions, the workflow's three Lambda tasks and the MediaConvert
 * progress handler. MediaConvert is the transcode step: the probe builds its job.
 */
export function createMediaLambda(deps: MediaLambdaDeps) {
  const { env, logger } = deps;
  const uploads = s3Store({ bucket: env.UPLOADS_BUCKET, client: deps.s3 });
  const media = s3Store({ bucket: env.MEDIA_BUCKET, client: deps.s3 });
  const workflow = env.MEDIA_PIPELINE_ARN
    ? stepFunctionsWorkflow({ client: deps.sfn, stateMachineArns: { [MEDIA_PIPELINE]: env.MEDIA_PIPELINE_ARN } })
    : noWorkflow;

  let ffprobe: string | undefined;
  const prober: Prober = {
    async probe(sourceKey) {
      ffprobe ??= executablePath(deps.ffprobePath, deps.scratchDir ?? '/tmp/kinema-bin');
      const url = await uploads.presignGet(sourceKey, SOURCE_URL_SECONDS);
      return { kind: 'ffprobe', run: await ffprobeUrl(url, { ffprobePath: ffprobe, label: sourceKey }) };
    },
  };

  const jobFor: JobBuilder = ({ videoId, run, sourceKey, outputPrefix, plan }) => {
    if (!env.MEDIACONVERT_ROLE_ARN) throw new Error('MEDIACONVERT_ROLE_ARN is not set on this function');
    const duration = plan.durationSeconds;
    const sizes = stillSizes(plan.ladder);
    const board = storyboardPlan(plan.ladder, duration);
    return mediaConvertJobSettings({
      sourceUri: `s3://${env.UPLOADS_BUCKET}/${sourceKey}`,
      destinationUri: `s3://${env.MEDIA_BUCKET}/${outputPrefix}`,
      ladder: plan.ladder,
      hasAudio: plan.hasAudio,
      roleArn: env.MEDIACONVERT_ROLE_ARN,
      frameRate: frameRateFraction(plan.frameRate),
      userMetadata: { videoId, run: String(run) },
      stills: {
        uri: `s3://${env.MEDIA_BUCKET}/${mediaKeys(videoId).root}`,
        posterAtSeconds: duration * POSTER_AT,
        // THUMBNAILS_AT is evenly spaced (0.2, 0.4, …): one interval and a count describe it.
        thumbnailEverySeconds: duration * (THUMBNAILS_AT[0] ?? 0.2),
        thumbnails: THUMBNAILS_AT.length,
        posterSize: sizes.poster,
        thumbnailSize: sizes.thumbnail,
      },
      storyboard: {
        uri: `s3://${env.MEDIA_BUCKET}/${mediaKeys(videoId).storyboardDir}`,
        base: FRAME_BASE,
        everySeconds: board.intervalSeconds,
        frames: board.frames,
        size: { width: board.width, height: board.height },
      },
    });
  };

  const service = createMediaService({
    table: deps.table,
    verifier: deps.verifier,
    media,
    workflow,
    clock: deps.clock,
    logger,
    prober,
    jobFor,
  });
  const { pipeline } = service;

  /** A previous run's ladder must not mix with this one's: MediaConvert overwrites by name only. */
  async function clearOutputs(videoId: string) {
    const keys = mediaKeys(videoId);
    await media.delete(keys.master); // first, so no player is offered a ladder being taken apart
    for (const object of await media.list(keys.root)) await media.delete(object.key);
  }

  return {
    service,

    /** `handler` (API Gateway → `/api/media/*`) and `onEvent` (rules built from `mediaSubscriptions()`). */
    ...serviceLambda('media', deps, { app: service.app, subscriptions: service.subscriptions }),

    /** Task Probe: ffprobe through a presigned URL; an accepted source gets a MediaConvert job. */
    async probe(event: unknown) {
      const result = await pipeline.tasks.probe(event);
      if (result.accepted) await clearOutputs(TaskRun.parse(event).videoId);
      return result;
    },

    /** Task Finalize: the captures become poster and thumbnails, then the master playlist is written. */
    async finalize(event: unknown) {
      const { videoId } = TaskRun.parse(event);
      const keys = mediaKeys(videoId);
      await promoteStills(media, {
        root: keys.root,
        poster: keys.poster,
        thumbnail: keys.thumbnail,
        thumbnails: THUMBNAILS_AT.length,
      });
      return pipeline.tasks.finalize(event);
    },

    /** Tasks PublishReady / PublishFailed: the outcome and its event commit through the outbox. */
    publish: (event: unknown) => pipeline.tasks.publish(event),

    /** EventBridge (default bus) "MediaConvert Job State Change" → the video's progress. */
    async onMediaConvert(event: unknown) {
      let report: ReturnType<typeof readJobStateChange>;
      try {
        report = readJobStateChange(event);
      } catch (error) {
        logger.error('not a MediaConvert job state change', { err: error });
        throw invalidInput('not a MediaConvert job state change');
      }
      if (report.kind === 'ignored') {
        logger.debug('MediaConvert event ignored', { jobId: report.jobId, reason: report.reason });
        return { recorded: false };
      }
      if (report.kind === 'error') {
        // The .sync task fails with the same error; PublishFailed records it with the reason.
        logger.warn('MediaConvert job failed', { ...report });
        return { recorded: false };
      }
      const recorded = await pipeline.runs.recordProgress(report.videoId, report.run, report.percent);
      logger.info('MediaConvert progress', { ...report, recorded });
      return { recorded };
    },

    /** Restarts or fails videos whose execution is gone (for a scheduled rule; see the report). */
    recover: () => service.recover(),
  };
}

export type MediaLambda = ReturnType<typeof createMediaLambda>;

/**
 * The SDK clients the media Lambda uses. In Lambda the region and credentials come from the
 * runtime; tests pass a local endpoint and dummy credentials, then stub `send`.
 */
export function mediaClients(
  config: {
    region?: string;
    endpoint?: string;
    forcePathStyle?: boolean;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  } = {},
) {
  const { forcePathStyle, endpoint, ...common } = config;
  return {
    s3: new S3Client({ ...common, ...(endpoint ? { endpoint } : {}), ...(forcePathStyle ? { forcePathStyle } : {}) }),
    sfn: new SFNClient(common),
  };
}

/** The composition from the Lambda environment, once per container, on first use. */
function fromEnvironment(environment: Record<string, string | undefined>): MediaLambdaDeps {
  const base = awsServiceDeps(environment);
  const env = parseConfig(MediaEnv, environment);
  const bundleDir = environment.LAMBDA_TASK_ROOT ?? dirname(fileURLToPath(import.meta.url));
  return {
    env,
    table: base.table,
    verifier: base.verifier,
    clock: base.clock,
    logger: base.logger,
    ...mediaClients(),
    ffprobePath: env.FFPROBE_PATH ?? join(bundleDir, 'ffprobe'),
  };
}

let composed: MediaLambda | undefined;
const lambda = () => (composed ??= createMediaLambda(fromEnvironment(process.env)));

type HttpHandler = MediaLambda['handler'];
export const handler = (...args: Parameters<HttpHandler>) => lambda().handler(...args);
export const onEvent = (event: unknown) => lambda().onEvent(event);
export const probe = (event: unknown) => lambda().probe(event);
export const finalize = (event: unknown) => lambda().finalize(event);
export const publish = (event: unknown) => lambda().publish(event);
export const onMediaConvert = (event: unknown) => lambda().onMediaConvert(event);
export const recover = () => lambda().recover();
