import { z } from 'zod';
import { VideoFailed, VideoProcessing, VideoReady } from '#shared/events/media.js';
import type { Rendition as RenditionSchema } from '#shared/events/media.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { LadderEncoder, Prober } from '#shared/ports/transcoder.js';
import { StateError, readableFailure } from './domain/failure.js';
import { outcomeFromProbeReport } from './domain/ffprobe.js';
import { AUDIO_BITRATE, KEYFRAME_SECONDS, SEGMENT_SECONDS, assessSource } from './domain/ladder.js';
import type { TranscodePlan } from './domain/ladder.js';
import { POSTER_AT, PROGRESS_INTERVAL_MS, THUMBNAILS_AT, mediaKeys } from './domain/media-video.js';
import { stillSizes } from './domain/stills.js';
import { FRAME_BASE, SHEET_PATTERN, sheetsFor, storyboardPlan, storyboardVtt } from './domain/storyboard.js';
import {
  PLAYLIST_CACHE_CONTROL,
  codecsFromInit,
  masterPlaylist,
  measureBitrates,
  parseMasterPlaylist,
  parseMediaPlaylist,
} from './domain/playlist.js';
import { perTitleLadder } from './domain/per-title.js';
import { PipelineInput } from './pipeline-contract.js';
import type { JobBuilder } from './pipeline-contract.js';
import { isCurrent } from './records.js';
import type { VideoRecords } from './records.js';
import type { PipelineRuns } from './runs.js';

type Rendition = z.infer<typeof RenditionSchema>;

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
  /** Null when the transcoder left no storyboard (older runs, or its frames could not be made). */
  storyboardKey: z.string().nullable().default(null),
  durationSeconds: z.number(),
  masterKey: z.string(),
});
export type FinalizeOutput = z.infer<typeof FinalizeOutput>;
const PublishInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), videoId: z.string(), run: z.number().int(), result: FinalizeOutput }),
  z.object({ kind: z.literal('failed'), videoId: z.string(), run: z.number().int(), error: StateError }),
]);

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  jpg: 'image/jpeg',
  vtt: 'text/vtt',
};

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
 * The workflow's task functions: probe, transcode (standalone only; on AWS MediaConvert is the
 * transcode step), finalize and publish. Each loads the current run's record first, so a task of a
 * replaced run stops (`Superseded`) before it touches anything.
 */
export function pipelineTasks(
  records: VideoRecords,
  runs: PipelineRuns,
  deps: {
    clock: Clock;
    logger: Logger;
    jobFor: JobBuilder;
    prober?: Prober;
    encoder?: LadderEncoder;
    /** Lists the video's subtitle languages in its master (see subtitles.ts). */
    refreshSubtitles?: (videoId: string) => Promise<void>;
  },
) {
  const { store, media, iso, update, current, removeMedia, readObject } = records;
  const { clock, logger, jobFor } = deps;

  /**
   * The storyboard's track, from what the transcoder wrote under `storyboard/`: ffmpeg's sprite
   * sheets, or MediaConvert's one-JPEG-per-frame captures. Null when there is neither.
   */
  async function writeStoryboard(videoId: string, plan: TranscodePlan, written: string[]): Promise<string | null> {
    const keys = mediaKeys(videoId);
    const board = storyboardPlan(plan.ladder, plan.durationSeconds);
    const names = written
      .filter((key) => key.startsWith(keys.storyboardDir))
      .map((key) => key.slice(keys.storyboardDir.length));
    const sheets = names.filter((name) => /^sheet-\d{3}\.jpg$/.test(name)).length;
    const frames = names.filter((name) => name.startsWith(`${FRAME_BASE}.`) && name.endsWith('.jpg')).length;
    if (sheets === 0 && frames === 0) return null;
    const vtt =
      sheets > 0
        ? storyboardVtt(
            board,
            plan.durationSeconds,
            'sheets',
            Math.min(sheets, sheetsFor(board)) * board.columns * board.rows,
          )
        : storyboardVtt(board, plan.durationSeconds, 'frames', frames);
    await media.put(keys.storyboard, Buffer.from(vtt), { contentType: CONTENT_TYPES.vtt });
    return keys.storyboard;
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
      const sizes = stillSizes(plan.ladder);
      const storyboard = storyboardPlan(plan.ladder, plan.durationSeconds);
      // A previous run's leftovers must not mix with this ladder; the subtitle sources stay (finalize republishes them).
      await removeMedia(videoId, { keep: keys.subtitles });

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
            { key: keys.poster, atSeconds: plan.durationSeconds * POSTER_AT, ...sizes.poster },
            ...THUMBNAILS_AT.map((at, index) => ({
              key: keys.thumbnail(index),
              atSeconds: plan.durationSeconds * at,
              ...sizes.thumbnail,
            })),
          ],
          storyboard: {
            keyPrefix: keys.storyboardDir,
            sheetPattern: SHEET_PATTERN,
            sourceRung: storyboard.sourceRung,
            everyNthKeyframe: storyboard.intervalSeconds / KEYFRAME_SECONDS,
            width: storyboard.width,
            height: storyboard.height,
            columns: storyboard.columns,
            rows: storyboard.rows,
          },
        },
        onProgress,
      );
      await reporting;
      // The shape of MediaConvert's .sync result, so the state's ResultSelector reads both alike.
      return { Job: { Id: jobId, Status: 'COMPLETE', UserMetadata: { videoId, run: String(run) } } };
    },

    /**
     * Measures each rendition from what was written, keeps the per-title ladder (dropping rungs that
     * would not look better than the one below), then writes master.m3u8 — last of all.
     */
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
        const initKey = resolveKey(playlistKey, playlist.initUri);
        return {
          bitrates: measureBitrates(measured),
          init: await readObject(initKey),
          keys: [playlistKey, initKey, ...playlist.segments.map((segment) => resolveKey(playlistKey, segment.uri))],
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
      const isRung = (name: string, key: string) => key.includes(`/${name}/`) || key.endsWith(`_${name}.m3u8`);
      // A finalize that ran before (a retry) wrote the master and then removed the rungs it dropped.
      const earlier = sizes.has(keys.master)
        ? parseMasterPlaylist((await readObject(keys.master)).toString('utf8')).variants.map((variant) => variant.uri)
        : undefined;
      const encoded = [];
      for (const rung of video.plan.ladder) {
        const playlistKey = playlists.find((object) => isRung(rung.name, object.key))?.key;
        if (!playlistKey && earlier && !earlier.some((uri) => isRung(rung.name, `/${uri}`))) continue;
        if (!playlistKey) throw new Error(`the transcoder wrote no playlist for the ${rung.name} rendition`);
        const { bitrates, init, keys: files } = await readRendition(playlistKey, rung.name);
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
        // Audio muxed into every rung (standalone) is the same bytes in each: its nominal rate is taken off.
        const muxedAudio = video.plan.hasAudio && !audio ? AUDIO_BITRATE : 0;
        const videoBitrate = Math.max(1, bitrates.average - muxedAudio);
        encoded.push({ ...rung, videoBitrate, rendition, files, uri: playlistKey.slice(keys.hlsPrefix.length) });
      }
      // The per-title ladder: rungs that would not look better than the one below are not listed, nor kept.
      const { kept, dropped } = perTitleLadder(encoded);
      if (dropped.length > 0) logger.info('per-title ladder dropped rungs', { videoId: input.videoId, dropped });
      const renditions: Rendition[] = kept.map((rung) => rung.rendition);
      const variants = kept.map((rung) => ({ ...rung.rendition, uri: rung.uri }));
      const posterKey = sizes.has(keys.poster)
        ? keys.poster
        : objects.find(
            (object) =>
              object.key.endsWith('.jpg') &&
              !object.key.includes('/thumbnails/') &&
              !object.key.startsWith(keys.storyboardDir),
          )?.key;
      if (!posterKey) throw new Error('the transcoder made no poster');
      const thumbnailKeys = objects
        .filter((object) => object.key.startsWith(`${keys.root}thumbnails/`))
        .map((object) => object.key)
        .sort();
      const storyboardKey = await writeStoryboard(
        input.videoId,
        video.plan,
        objects.map((object) => object.key),
      );
      const audioGroup =
        audioKey !== undefined
          ? { groupId: 'audio', name: 'Main', uri: audioKey.slice(keys.hlsPrefix.length), channels: 2 }
          : undefined;
      await media.put(keys.master, Buffer.from(masterPlaylist(variants, audioGroup)), {
        contentType: CONTENT_TYPES.m3u8,
        cacheControl: PLAYLIST_CACHE_CONTROL,
      });
      // Only once the master no longer names them: a dropped rung's files are never served.
      for (const rung of encoded.filter((rung) => !kept.includes(rung))) {
        for (const key of rung.files) await media.delete(key);
      }
      // Subtitles need no transcode: their segments follow the ladder just written.
      await deps.refreshSubtitles?.(input.videoId);
      return {
        renditions,
        posterKey,
        thumbnailKeys,
        storyboardKey,
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
          const { renditions, posterKey, thumbnailKeys, storyboardKey, durationSeconds } = input.result;
          return {
            next: {
              ...video,
              state: 'ready',
              progress: 100,
              renditions,
              posterKey,
              thumbnailKeys,
              // A new transcode has a new automatic poster; an earlier choice no longer applies.
              posterFrom: null,
              storyboardKey,
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
      // A language added between finalize and now is listed now (the ladder is ready from here on).
      else await deps.refreshSubtitles?.(videoId);
      return { published: true, state: done.state };
    },
  };

  return tasks;
}
