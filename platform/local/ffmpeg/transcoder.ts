import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { newId } from '#shared/ids.js';
import { MediaRejected } from '#shared/ports/transcoder.js';
import type { LadderEncoder, LadderJob } from '#shared/ports/transcoder.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import { runProcess } from './run.js';

export interface FfmpegTranscoderOptions {
  ffmpegPath: string;
  /** Scratch space: each job gets its own folder, removed when the job ends. */
  workDir: string;
  /** Where uploads land (the source is read from here). */
  sources: ObjectStore;
  /** Where the ladder, poster and thumbnails are written. */
  media: ObjectStore;
  /** x264 preset; `veryfast` keeps a laptop usable, tests may pass `ultrafast`. */
  preset?: string;
  /** x264 threads per rung (default `X264_THREADS_PER_RUNG`, 0 = x264's own choice). */
  threadsPerRung?: number;
  /** Kill ffmpeg when it reports nothing for this long. */
  stallMs?: number;
}

/** Below this share of the probed duration decoded, the file was cut short. */
const MIN_DECODED_SHARE = 0.9;

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
};

/**
 * x264 threads per rung; 0 is x264's own choice (1.5 × cores frame threads plus a lookahead). The
 * rungs of the one process already encode side by side, so fewer per rung looked worth trying; on
 * the 2-core bench machine (`bench/suites/ladder-process.ts`) the CPU seconds of the 6-rung ladder
 * were the same (±2 %) for auto, 1, 2 and pixel-proportional threads, wall time followed the
 * machine's other load, and 2 threads per rung cost 0.0002 of mean SSIM against the fixed ladder
 * (frame threads change x264's rate control), so x264 keeps its own choice.
 */
export const X264_THREADS_PER_RUNG = 0;

/**
 * The ffmpeg arguments of one ladder: ONE process decodes once, splits the picture, scales each
 * rung and encodes it (H.264 High, yuv420p, an IDR every 2 s forced at the same times on every
 * rung, no scene-cut keyframes), with AAC-LC stereo 48 kHz muxed into every rung, as fMP4 HLS of
 * 6 s segments in one folder per rung (`<outDir>/<index>/`). ffmpeg 4.1 has no usable
 * `-master_pl_name` nor `name:` in var_stream_map; Kinema writes the master itself.
 */
export function ladderArgs(
  job: LadderJob,
  paths: { source: string; outDir: string },
  preset = 'veryfast',
  threadsPerRung = X264_THREADS_PER_RUNG,
): string[] {
  const count = job.ladder.length;
  const fps = job.frameRate;
  const labels = job.ladder.map((_, index) => `v${index}`);
  const head = `[0:v]fps=${fps},split=${count}${labels.map((label) => `[${label}s]`).join('')}`;
  const scales = job.ladder.map(
    (rung, index) =>
      `[v${index}s]scale=w=${rung.width}:h=${rung.height}:flags=bicubic,setsar=1,format=yuv420p[v${index}]`,
  );
  const args = ['-nostdin', '-hide_banner', '-v', 'error', '-y', '-i', paths.source];
  args.push('-filter_complex', [head, ...scales].join(';'));
  job.ladder.forEach((_, index) => {
    args.push('-map', `[v${index}]`);
    if (job.hasAudio) args.push('-map', '0:a:0');
  });
  args.push(
    '-c:v',
    'libx264',
    '-preset',
    preset,
    '-profile:v',
    'high',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(job.gopFrames),
    '-keyint_min',
    String(job.gopFrames),
    '-sc_threshold',
    '0',
    '-force_key_frames',
    `expr:gte(t,n_forced*${job.keyframeSeconds})`,
  );
  job.ladder.forEach((rung, index) => {
    // Capped quality (constant rate factor under the VBV cap) when the rung has one, else fixed average.
    if (rung.crf !== undefined) args.push(`-crf:v:${index}`, String(rung.crf));
    else args.push(`-b:v:${index}`, String(rung.videoBitrate));
    args.push(`-maxrate:v:${index}`, String(rung.maxBitrate), `-bufsize:v:${index}`, String(rung.videoBitrate * 2));
    args.push(`-threads:v:${index}`, String(threadsPerRung));
  });
  if (job.hasAudio) args.push('-c:a', 'aac', '-b:a', String(job.audioBitrate), '-ac', '2', '-ar', '48000');
  const streamMap = job.ladder.map((_, index) => (job.hasAudio ? `v:${index},a:${index}` : `v:${index}`)).join(' ');
  args.push(
    '-max_muxing_queue_size',
    '4096',
    '-f',
    'hls',
    '-hls_time',
    String(job.segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_flags',
    'independent_segments',
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-hls_segment_filename',
    join(paths.outDir, '%v', 'seg_%05d.m4s'),
    '-var_stream_map',
    streamMap,
    '-progress',
    'pipe:1',
    '-nostats',
    join(paths.outDir, '%v', 'index.m3u8'),
  );
  return args;
}

/**
 * The storyboard from one rendition's finished HLS output: only its keyframes are decoded (an IDR
 * every 2 s, aligned to the clock), every n-th kept, scaled and tiled into JPEG sprite sheets.
 * Decoding keyframes of the smallest rung costs a sliver of the ladder encode.
 */
export function storyboardArgs(
  playlist: string,
  board: NonNullable<LadderJob['storyboard']>,
  outPattern: string,
): string[] {
  const select = board.everyNthKeyframe > 1 ? [`select=not(mod(n\\,${board.everyNthKeyframe}))`] : [];
  const filters = [...select, `scale=${board.width}:${board.height}`, `tile=${board.columns}x${board.rows}`];
  return [
    '-nostdin',
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-skip_frame',
    'nokey',
    '-i',
    playlist,
    '-an',
    '-vf',
    filters.join(','),
    '-vsync',
    'vfr',
    '-q:v',
    '5',
    outPattern,
  ];
}

/** One JPEG frame at a time, seeking on the input (cheap: it decodes from the nearest keyframe). */
export function stillArgs(
  source: string,
  atSeconds: number,
  size: { width: number; height: number },
  out: string,
): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-ss',
    atSeconds.toFixed(3),
    '-i',
    source,
    '-frames:v',
    '1',
    '-vf',
    `scale=${size.width}:${size.height}`,
    '-q:v',
    '3',
    out,
  ];
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)])),
  );
  return nested.flat();
}

const contentTypeOf = (file: string) => CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream';

/**
 * The standalone transcoder: copies the source to scratch, runs the ladder in one ffmpeg
 * (progress from `-progress pipe:1`: out_time vs the probed duration), takes the stills, then
 * uploads: segments and init files first, then each rendition playlist. It never writes
 * master.m3u8 (the finalize step does, last), so a half-written ladder is never served.
 */
export function ffmpegTranscoder(options: FfmpegTranscoderOptions): LadderEncoder & { close(): Promise<void> } {
  const running = new Set<AbortController>();
  const stallMs = options.stallMs ?? 120_000;

  /**
   * Sprite sheets from the finished rung. A storyboard that cannot be made leaves none (the
   * title plays without seek thumbnails; finalize writes no track) rather than failing the title.
   */
  async function makeStoryboard(
    board: NonNullable<LadderJob['storyboard']>,
    hlsDir: string,
    dir: string,
    signal: AbortSignal,
  ): Promise<{ file: string; key: string }[]> {
    const outDir = join(dir, 'storyboard');
    await mkdir(outDir);
    const playlist = join(hlsDir, board.sourceRung, 'index.m3u8');
    const run = await runProcess(
      options.ffmpegPath,
      storyboardArgs(playlist, board, join(outDir, board.sheetPattern)),
      {
        stallMs: 60_000,
        signal,
      },
    );
    if (run.code !== 0 || signal.aborted) return [];
    const files = (await readdir(outDir)).filter((name) => name.endsWith('.jpg')).sort();
    return files.map((name) => ({ file: join(outDir, name), key: board.keyPrefix + name }));
  }

  async function encode(job: LadderJob, onProgress: (percent: number) => void) {
    const jobId = `ffmpeg-${newId()}`;
    await mkdir(options.workDir, { recursive: true });
    const dir = await mkdtemp(join(options.workDir, 'transcode-'));
    const abort = new AbortController();
    running.add(abort);
    try {
      const source = join(dir, 'source');
      const object = await options.sources.get(job.sourceKey);
      if (!object) throw new MediaRejected('the uploaded file is gone; upload it again');
      await pipeline(object.body, createWriteStream(source));

      const outDir = join(dir, 'out');
      for (let index = 0; index < job.ladder.length; index++)
        await mkdir(join(outDir, String(index)), { recursive: true });
      let decodedSeconds = 0;
      const result = await runProcess(
        options.ffmpegPath,
        ladderArgs(job, { source, outDir }, options.preset, options.threadsPerRung),
        {
          stallMs,
          signal: abort.signal,
          onLine: (line) => {
            // ffmpeg 4.1's out_time_ms is in microseconds (a long-standing misnomer).
            if (line.startsWith('out_time_ms=')) {
              const micros = Number(line.slice(12));
              if (Number.isFinite(micros) && micros > 0) {
                decodedSeconds = micros / 1e6;
                onProgress(Math.min(100, (decodedSeconds / job.durationSeconds) * 100));
              }
            }
          },
        },
      );
      if (abort.signal.aborted) throw new Error('the transcode was stopped (shutdown)');
      if (result.stalled) throw new Error(`ffmpeg stalled: no progress for ${Math.round(stallMs / 1000)} s`);
      if (result.code !== 0) {
        const last = result.stderrTail.split('\n').pop()?.trim() ?? '';
        throw new MediaRejected(`ffmpeg could not transcode the video${last ? `: ${last.slice(0, 300)}` : ''}`);
      }
      if (decodedSeconds < job.durationSeconds * MIN_DECODED_SHARE) {
        throw new MediaRejected(
          `the file is truncated: only ${decodedSeconds.toFixed(1)} s of its ${job.durationSeconds.toFixed(1)} s could be decoded; upload it again`,
        );
      }

      // Rung folders get their rung's name (ffmpeg 4.1 can only number them).
      const hlsDir = join(dir, 'hls');
      await mkdir(hlsDir);
      for (const [index, rung] of job.ladder.entries())
        await rename(join(outDir, String(index)), join(hlsDir, rung.name));

      const sheets = job.storyboard ? await makeStoryboard(job.storyboard, hlsDir, dir, abort.signal) : [];

      const stills: { file: string; key: string }[] = [];
      for (const [index, still] of job.stills.entries()) {
        const file = join(dir, `still-${index}.jpg`);
        const shot = await runProcess(options.ffmpegPath, stillArgs(source, still.atSeconds, still, file), {
          stallMs: 60_000,
          signal: abort.signal,
        });
        if (shot.code !== 0) throw new Error(`ffmpeg could not take a still at ${still.atSeconds.toFixed(1)} s`);
        stills.push({ file, key: still.key });
      }

      const files = await filesUnder(hlsDir);
      // Media before the playlists that name them.
      const ordered = [
        ...files.filter((file) => !file.endsWith('.m3u8')),
        ...files.filter((file) => file.endsWith('.m3u8')),
      ];
      for (const file of ordered) {
        const key = job.outputPrefix + relative(hlsDir, file).split('\\').join('/');
        await options.media.put(key, createReadStream(file), { contentType: contentTypeOf(file) });
      }
      for (const still of [...stills, ...sheets]) {
        await options.media.put(still.key, createReadStream(still.file), { contentType: 'image/jpeg' });
      }
      onProgress(100);
      return { jobId };
    } finally {
      running.delete(abort);
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    encode,
    async close() {
      for (const abort of running) abort.abort();
    },
  };
}
