import { VideoFailed, VideoProcessing } from '#shared/events/media.js';
import { conflict, notFound } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Workflow } from '#shared/ports/workflow.js';
import { MAX_ATTEMPTS, transcodeProgress } from './domain/media-video.js';
import type { MediaVideo } from './domain/media-video.js';
import { MEDIA_PIPELINE } from './pipeline-contract.js';
import type { PipelineInput } from './pipeline-contract.js';
import { isCurrent } from './records.js';
import type { VideoRecords } from './records.js';

/**
 * The service's side of the pipeline: starting a run for an upload, the admin's retry, progress
 * reports, discarding a deleted video, and recovering runs whose execution is gone.
 */
export function pipelineRuns(
  records: VideoRecords,
  deps: {
    workflow: Workflow;
    clock: Clock;
    logger: Logger;
    /** Forgets a deleted video's subtitle languages (their files go with its media). */
    forgetSubtitles?: (videoId: string) => Promise<void>;
  },
) {
  const { store, iso, update, removeMedia } = records;
  const { workflow, clock, logger } = deps;

  /** Begins a new run: the record first (so a crash leaves a trace recovery finds), then the execution. */
  async function beginRun(
    videoId: string,
    change: (
      video: MediaVideo | undefined,
    ) => { sourceKey: string; uploadEventId: string; attempts: number } | undefined,
  ): Promise<MediaVideo | undefined> {
    const now = iso();
    const started = await update(videoId, (video) => {
      const fields = change(video);
      if (!fields) return undefined;
      return {
        next: {
          videoId,
          createdAt: video?.createdAt ?? now,
          ...fields,
          state: 'waiting',
          progress: 0,
          run: (video?.run ?? 0) + 1,
          executionId: null,
          plan: null,
          renditions: [],
          posterKey: null,
          thumbnailKeys: [],
          posterFrom: null,
          storyboardKey: null,
          durationSeconds: null,
          error: null,
          updatedAt: now,
          startedAt: now,
          finishedAt: null,
        },
      };
    });
    if (!started) return undefined;
    const input: PipelineInput = { videoId, sourceKey: started.sourceKey, run: started.run };
    const { executionId } = await workflow.start(MEDIA_PIPELINE, input, `${videoId}-r${started.run}`);
    logger.info('media pipeline started', { videoId, run: started.run, executionId });
    return update(videoId, (video) => {
      if (!isCurrent(video, started.run)) return undefined;
      return {
        next: { ...video, state: 'processing', executionId, updatedAt: iso() },
        events:
          video.state === 'waiting' ? [VideoProcessing.create({ videoId, progress: video.progress }, clock.now())] : [],
      };
    });
  }

  const runs = {
    /** VideoUploaded: a new source starts a run; a redelivery of the same upload changes nothing. */
    async startForUpload(upload: { videoId: string; sourceKey: string; uploadEventId: string }) {
      return beginRun(upload.videoId, (video) =>
        video?.uploadEventId === upload.uploadEventId
          ? undefined
          : { sourceKey: upload.sourceKey, uploadEventId: upload.uploadEventId, attempts: 1 },
      );
    },

    /** The admin's retry of a failed video. */
    async retry(videoId: string): Promise<MediaVideo> {
      const current = await store.find(videoId);
      if (!current) throw notFound('video media');
      if (current.video.state !== 'failed')
        throw conflict(`only a failed video can be retried; it is ${current.video.state}`);
      const restarted = await beginRun(videoId, (video) =>
        video?.state === 'failed'
          ? { sourceKey: video.sourceKey, uploadEventId: video.uploadEventId, attempts: 1 }
          : undefined,
      );
      if (!restarted) throw conflict('the video changed meanwhile; reload and try again');
      return restarted;
    },

    /**
     * A transcoder's progress (ffmpeg standalone, MediaConvert STATUS_UPDATE events on AWS). Only a
     * report that moves the current run forward is kept, so repeats, reorderings and reports of a
     * replaced run change nothing. Returns whether the record moved.
     */
    async recordProgress(videoId: string, run: number, percent: number): Promise<boolean> {
      const progress = transcodeProgress(percent);
      const moved = await update(videoId, (now) =>
        isCurrent(now, run) && progress > now.progress
          ? {
              next: { ...now, progress, updatedAt: iso() },
              events: [VideoProcessing.create({ videoId, progress }, clock.now())],
            }
          : undefined,
      );
      return moved !== undefined;
    },

    /** VideoDeleted: the record and every object of the video go. */
    async discard(videoId: string): Promise<void> {
      const current = await store.find(videoId);
      if (current) await store.remove(current);
      await deps.forgetSubtitles?.(videoId);
      await removeMedia(videoId);
    },

    /**
     * Finds videos whose execution is gone (the process stopped mid-run) and restarts them, or,
     * after MAX_ATTEMPTS starts, fails them with a reason. Executions still running are left alone,
     * so this is safe to call at start and from time to time.
     */
    async recover(): Promise<{ restarted: string[]; failed: string[] }> {
      const restarted: string[] = [];
      const failed: string[] = [];
      for (const video of await store.active()) {
        if (video.executionId) {
          const status = await workflow.describe(video.executionId).then(
            (description) => description.status,
            () => 'UNKNOWN' as const,
          );
          if (status === 'RUNNING') continue;
        }
        if (video.attempts >= MAX_ATTEMPTS) {
          const reason = `processing was interrupted ${video.attempts} times (the server stopped mid-transcode); use Retry to try again`;
          const done = await update(video.videoId, (current) =>
            current && current.run === video.run && (current.state === 'waiting' || current.state === 'processing')
              ? {
                  next: { ...current, state: 'failed', error: reason, updatedAt: iso(), finishedAt: iso() },
                  events: [VideoFailed.create({ videoId: video.videoId, reason }, clock.now())],
                }
              : undefined,
          );
          if (done) failed.push(video.videoId);
          continue;
        }
        const again = await beginRun(video.videoId, (current) =>
          current && current.run === video.run && (current.state === 'waiting' || current.state === 'processing')
            ? { sourceKey: current.sourceKey, uploadEventId: current.uploadEventId, attempts: current.attempts + 1 }
            : undefined,
        );
        if (again) restarted.push(video.videoId);
      }
      if (restarted.length + failed.length > 0) logger.warn('media pipeline recovered videos', { restarted, failed });
      return { restarted, failed };
    },
  };

  return runs;
}

export type PipelineRuns = ReturnType<typeof pipelineRuns>;
