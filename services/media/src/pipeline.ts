import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { EventEnvelope } from '#shared/events/define.js';
import { VideoFailed, VideoProcessing, VideoReady } from '#shared/events/media.js';
import type { Rendition as RenditionSchema } from '#shared/events/media.js';
type Rendition = z.infer<typeof RenditionSchema>;
import { ConditionFailedError, conflict, notFound } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import type { LadderEncoder, Prober } from '#shared/ports/transcoder.js';
import type { Workflow } from '#shared/ports/workflow.js';
import { StateError, readableFailure } from './domain/failure.js';
import { AUDIO_BITRATE, KEYFRAME_SECONDS, SEGMENT_SECONDS, assessSource } from './domain/ladder.js';
import { outcomeFromProbeReport } from './domain/ffprobe.js';
import type { TranscodePlan } from './domain/ladder.js';
import {
  MAX_ATTEMPTS,
  POSTER_AT,
  PROGRESS_INTERVAL_MS,
  THUMBNAILS_AT,
  mediaKeys,
  transcodeProgress,
} from './domain/media-video.js';
import type { MediaVideo } from './domain/media-video.js';
import { codecsFromInit, masterPlaylist, measureBitrates, parseMediaPlaylist } from './domain/playlist.js';
import type { MediaStore } from './store.js';

/** The workflow's name: `workflows/media-pipeline.asl.json`. */
export const MEDIA_PIPELINE = 'media-pipeline';

/** Reads the uploaded source's structure (ffprobe standalone). */
export type { LadderEncoder, LadderJob, Prober } from '#shared/ports/transcoder.js';

/**
 * The transcode state's job: MediaConvert's CreateJob input on AWS (built by
 * `platform/aws/mediaconvert-job.ts` in the probe Lambda); standalone a descriptive stand-in, since
 * the local transcode reads the plan from the record.
 */
export interface MediaJob {
  Role: string;
  Settings: Record<string, unknown>;
  UserMetadata: Record<string, string>;
  StatusUpdateInterval: string;
}
export type JobBuilder = (input: {
  videoId: string;
  run: number;
  sourceKey: string;
  outputPrefix: string;
  plan: TranscodePlan;
}) => MediaJob;

export const localJob: JobBuilder = ({ videoId, run, outputPrefix, plan }) => ({
  Role: 'local',
  Settings: { engine: 'ffmpeg', outputPrefix, rungs: plan.ladder.map((rung) => rung.name) },
  UserMetadata: { videoId, run: String(run) },
  StatusUpdateInterval: 'SECONDS_10',
});

/** The execution input (and what every task receives, through the state's Parameters). */
export const PipelineInput = z.object({ videoId: z.string(), sourceKey: z.string(), run: z.number().int() });
export type PipelineInput = z.infer<typeof PipelineInput>;

const TranscodeInput = z.object({
  UserMetadata: z.object({ videoId: z.string(), run: z.coerce.number().int() }),
});
const FinalizeInput = z.object({ videoId: z.string(), run: z.number().int() });
const FinalizeOutput = z.object({
  renditions: z.array(
    z.object({
      name: z.string(),
      width: z.number(),
      height: z.number(),
      bandwidth: z.number(),
      averageBandwidth: z.number(),
      codecs: z.string(),
      frameRate: z.number(),
    }),
  ),
  posterKey: z.string(),
  thumbnailKeys: z.array(z.string()),
  durationSeconds: z.number(),
  masterKey: z.string(),
});
export type FinalizeOutput = z.infer<typeof FinalizeOutput>;
const PublishInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), videoId: z.string(), run: z.number().int(), result: FinalizeOutput }),
  z.object({ kind: z.literal('failed'), videoId: z.string(), run: z.number().int(), error: StateError }),
]);

/** A task of an execution that a newer run replaced, or whose video was deleted, stops here. */
export class Superseded extends Error {
  constructor(videoId: string, run: number) {
    super(`run ${run} of video ${videoId} was superseded`);
    this.name = 'Superseded';
  }
}

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
}

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  jpg: 'image/jpeg',
};

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Resolves a playlist-relative URI against the playlist's own key. */
function resolveKey(playlistKey: string, uri: string): string {
  const base = playlistKey.slice(0, playlistKey.lastIndexOf('/') + 1);
  const parts = (base + uri).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.') out.push(part);
  }
  return out.join('/');
}

/**
 * The media pipeline: starting, retrying, recovering and discarding runs (the service's side) and
 * the workflow's task functions (probe, transcode, finalize, publish). Tasks are runtime-neutral
 * except transcode, which only runs standalone (on AWS MediaConvert is the transcode step).
 */
export function createPipeline(deps: PipelineDeps) {
  const { store, media, workflow, clock } = deps;
  const logger = deps.logger ?? silentLogger;
  const jobFor = deps.jobFor ?? localJob;
  const iso = () => new Date(clock.now()).toISOString();

  /** Read-modify-write with optimistic concurrency, retried when another writer got there first. */
  async function update(
    videoId: string,
    change: (video: MediaVideo | undefined) => { next: MediaVideo; events?: EventEnvelope[] } | undefined,
  ): Promise<MediaVideo | undefined> {
    for (let attempt = 0; ; attempt++) {
      const stored = await store.find(videoId);
      const outcome = change(stored?.video);
      if (!outcome) return undefined;
      try {
        await store.save(stored, outcome.next, outcome.events ?? []);
        return outcome.next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError) || attempt >= 5) throw error;
      }
    }
  }

  const isCurrent = (video: MediaVideo | undefined, run: number): video is MediaVideo =>
    video !== undefined && video.run === run && (video.state === 'waiting' || video.state === 'processing');

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

  async function removeMedia(videoId: string): Promise<void> {
    const keys = mediaKeys(videoId);
    // The master goes first: from then on no player is offered a ladder that is being taken apart.
    await media.delete(keys.master);
    for (const object of await media.list(keys.root)) await media.delete(object.key);
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

  /** Loads the current run's record or stops the task: a stale execution must not touch anything. */
  async function current(videoId: string, run: number): Promise<MediaVideo> {
    const video = (await store.find(videoId))?.video;
    if (!isCurrent(video, run)) throw new Superseded(videoId, run);
    return video;
  }

  const tasks = {
    /** Probe + assessment. Returns `{accepted, reason?, job?}` for the Validate choice. */
    async probe(raw: unknown) {
      const input = PipelineInput.parse(raw);
      await current(input.videoId, input.run);
      if (!deps.prober) throw new Error('this runtime has no prober');
      const assessment = assessSource(outcomeFromProbeReport(await deps.prober.probe(input.sourceKey)));
      if (!assessment.accepted) return { accepted: false, reason: assessment.reason };
      const plan = assessment.plan;
      await update(input.videoId, (video) =>
        isCurrent(video, input.run)
          ? {
              next: { ...video, state: 'processing', plan, durationSeconds: plan.durationSeconds, updatedAt: iso() },
              events:
                video.state === 'waiting'
                  ? [VideoProcessing.create({ videoId: input.videoId, progress: 0 }, clock.now())]
                  : [],
            }
          : undefined,
      );
      const outputPrefix = mediaKeys(input.videoId).hlsPrefix;
      return {
        accepted: true,
        rungs: plan.ladder.length,
        job: jobFor({ videoId: input.videoId, run: input.run, sourceKey: input.sourceKey, outputPrefix, plan }),
      };
    },

    /** Standalone transcode: the whole ladder in one ffmpeg, progress to the record (throttled). */
    async transcode(raw: unknown) {
      const { UserMetadata } = TranscodeInput.parse(raw);
      const { videoId, run } = UserMetadata;
      const video = await current(videoId, run);
      if (!deps.encoder) throw new Error('this runtime has no encoder');
      if (!video.plan) throw new Error('the video has no transcode plan; the probe step did not run');
      const plan = video.plan;
      const keys = mediaKeys(videoId);
      await removeMedia(videoId); // a previous run's leftovers must not mix with this ladder

      let lastReport = 0;
      let reporting: Promise<unknown> = Promise.resolve();
      const onProgress = (percent: number) => {
        const at = clock.now();
        if (at - lastReport < PROGRESS_INTERVAL_MS) return;
        lastReport = at;
        reporting = reporting.then(() =>
          runs
            .recordProgress(videoId, run, percent)
            .catch((error: unknown) => logger.warn('progress not recorded', { videoId, err: error })),
        );
      };
      const { jobId } = await deps.encoder.encode(
        {
          videoId,
          sourceKey: video.sourceKey,
          outputPrefix: keys.hlsPrefix,
          ladder: plan.ladder,
          hasAudio: plan.hasAudio,
          durationSeconds: plan.durationSeconds,
          frameRate: plan.frameRate,
          gopFrames: plan.gopFrames,
          segmentSeconds: SEGMENT_SECONDS,
          keyframeSeconds: KEYFRAME_SECONDS,
          audioBitrate: AUDIO_BITRATE,
          stills: [
            { key: keys.poster, atSeconds: plan.durationSeconds * POSTER_AT, maxWidth: 1280 },
            ...THUMBNAILS_AT.map((at, index) => ({
              key: keys.thumbnail(index),
              atSeconds: plan.durationSeconds * at,
              maxWidth: 320,
            })),
          ],
        },
        onProgress,
      );
      await reporting;
      // The shape of MediaConvert's .sync result, so the state's ResultSelector reads both alike.
      return { Job: { Id: jobId, Status: 'COMPLETE', UserMetadata: { videoId, run: String(run) } } };
    },

    /** Measures each rendition from what was written, then writes master.m3u8 — last of all. */
    async finalize(raw: unknown): Promise<FinalizeOutput> {
      const input = FinalizeInput.parse(raw);
      const video = await current(input.videoId, input.run);
      if (!video.plan) throw new Error('the video has no transcode plan');
      const keys = mediaKeys(input.videoId);
      const objects = await media.list(keys.root);
      const sizes = new Map(objects.map((object) => [object.key, object.size]));
      const playlists = objects.filter((object) => object.key.endsWith('.m3u8') && object.key !== keys.master);
      /** Reads one rendition's playlist, checks it is a finished fMP4 VOD and measures it. */
      const readRendition = async (playlistKey: string, label: string) => {
        const playlist = parseMediaPlaylist((await readObject(playlistKey)).toString('utf8'));
        if (playlist.playlistType !== 'VOD' || !playlist.ended) {
          throw new Error(`the ${label} playlist is not a finished VOD playlist`);
        }
        if (!playlist.initUri) throw new Error(`the ${label} playlist is not fMP4 (no EXT-X-MAP)`);
        if (playlist.segments.length === 0) throw new Error(`the ${label} playlist has no segments`);
        const measured = playlist.segments.map((segment) => {
          const bytes = sizes.get(resolveKey(playlistKey, segment.uri));
          if (bytes === undefined) throw new Error(`segment ${segment.uri} of the ${label} rendition is missing`);
          return { bytes, durationSeconds: segment.durationSeconds };
        });
        return {
          bitrates: measureBitrates(measured),
          init: await readObject(resolveKey(playlistKey, playlist.initUri)),
        };
      };
      // MediaConvert's CMAF output carries audio as a rendition of its own, shared by every
      // variant through an EXT-X-MEDIA group; ffmpeg's standalone output muxes it into each rung.
      const audioKey = video.plan.hasAudio
        ? playlists.find((object) => object.key.endsWith('_audio.m3u8') || object.key.includes('/audio/'))?.key
        : undefined;
      const audio = audioKey ? await readRendition(audioKey, 'audio') : undefined;
      if (audio && audio.init.indexOf('mp4a', 0, 'latin1') < 0) {
        throw new Error('the audio rendition is not AAC (no mp4a in its init segment)');
      }
      const renditions: Rendition[] = [];
      const variants = [];
      for (const rung of video.plan.ladder) {
        const playlistKey = playlists.find(
          (object) => object.key.includes(`/${rung.name}/`) || object.key.endsWith(`_${rung.name}.m3u8`),
        )?.key;
        if (!playlistKey) throw new Error(`the transcoder wrote no playlist for the ${rung.name} rendition`);
        const { bitrates, init } = await readRendition(playlistKey, rung.name);
        let codecs = codecsFromInit(init);
        if (audio && !codecs.includes('mp4a')) codecs = `${codecs},mp4a.40.2`;
        const rendition = {
          name: rung.name,
          width: rung.width,
          height: rung.height,
          // With a separate audio rendition a player fetches both: the variant's rates include it.
          bandwidth: bitrates.peak + (audio?.bitrates.peak ?? 0),
          averageBandwidth: bitrates.average + (audio?.bitrates.average ?? 0),
          codecs,
          frameRate: video.plan.frameRate,
        };
        renditions.push(rendition);
        variants.push({ ...rendition, uri: playlistKey.slice(keys.hlsPrefix.length) });
      }
      const posterKey = sizes.has(keys.poster)
        ? keys.poster
        : objects.find((object) => object.key.endsWith('.jpg') && !object.key.includes('/thumbnails/'))?.key;
      if (!posterKey) throw new Error('the transcoder made no poster');
      const thumbnailKeys = objects
        .filter((object) => object.key.startsWith(`${keys.root}thumbnails/`))
        .map((object) => object.key)
        .sort();
      const audioGroup =
        audioKey !== undefined
          ? { groupId: 'audio', name: 'Main', uri: audioKey.slice(keys.hlsPrefix.length), channels: 2 }
          : undefined;
      await media.put(keys.master, Buffer.from(masterPlaylist(variants, audioGroup)), {
        contentType: CONTENT_TYPES.m3u8,
      });
      return {
        renditions,
        posterKey,
        thumbnailKeys,
        durationSeconds: video.plan.durationSeconds,
        masterKey: keys.master,
      };
    },

    /** Commits the outcome and its event together; a stale run's outcome is dropped. */
    async publish(raw: unknown) {
      const input = PublishInput.parse(raw);
      const { videoId, run } = input;
      const at = iso();
      const done = await update(videoId, (video) => {
        if (!isCurrent(video, run)) return undefined;
        if (input.kind === 'ready') {
          const { renditions, posterKey, thumbnailKeys, durationSeconds } = input.result;
          return {
            next: {
              ...video,
              state: 'ready',
              progress: 100,
              renditions,
              posterKey,
              thumbnailKeys,
              durationSeconds,
              error: null,
              updatedAt: at,
              finishedAt: at,
            },
            events: [
              VideoReady.create({ videoId, durationSeconds, renditions, posterKey, thumbnailKeys }, clock.now()),
            ],
          };
        }
        const reason = readableFailure(input.error);
        return {
          next: { ...video, state: 'failed', error: reason, updatedAt: at, finishedAt: at },
          events: [VideoFailed.create({ videoId, reason }, clock.now())],
        };
      });
      if (!done) {
        logger.info('stale pipeline outcome dropped', { videoId, run, kind: input.kind });
        if (!(await store.find(videoId))) await removeMedia(videoId); // deleted while it ran
        return { published: false };
      }
      if (input.kind === 'failed') logger.warn('media pipeline failed', { videoId, run, reason: done.error });
      return { published: true, state: done.state };
    },
  };

  async function readObject(key: string): Promise<Buffer> {
    const object = await media.get(key);
    if (!object) throw new Error(`${key} is missing`);
    return readAll(object.body);
  }

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
