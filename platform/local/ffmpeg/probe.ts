import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Prober } from '../../../services/media/src/pipeline.js';
import type { ProbeOutcome, SourceFacts } from '../../../services/media/src/domain/source.js';
import type { ObjectStore } from '../../../shared/ports/object-store.js';
import { runProcess } from './run.js';

const FfprobeStream = z.looseObject({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  avg_frame_rate: z.string().optional(),
  r_frame_rate: z.string().optional(),
  channels: z.number().optional(),
  sample_rate: z.string().optional(),
  duration: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  side_data_list: z.array(z.looseObject({ rotation: z.number().optional() })).optional(),
});
const FfprobeOutput = z.object({
  streams: z.array(FfprobeStream).default([]),
  format: z
    .looseObject({ format_name: z.string().optional(), duration: z.string().optional(), size: z.string().optional() })
    .optional(),
});

const rate = (text: string | undefined): number => {
  const [num, den] = (text ?? '').split('/').map(Number);
  if (num === undefined || !Number.isFinite(num)) return 0;
  if (den === undefined) return num;
  return den > 0 ? num / den : 0;
};
const seconds = (text: string | undefined): number => {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : 0;
};

export interface ProbeOptions {
  ffprobePath: string;
  /** With ffmpeg, a trial decode of a few frames tells a readable header from a decodable picture. */
  ffmpegPath?: string;
}

/** ffprobe's JSON → the facts the ladder rules read. An unreadable file is an outcome, not an error. */
export async function probe(file: string, options: ProbeOptions): Promise<ProbeOutcome> {
  const result = await runProcess(
    options.ffprobePath,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
    { keepStdout: true, stallMs: 60_000 },
  );
  if (result.code !== 0)
    return { kind: 'unreadable', detail: result.stderrTail || `ffprobe exited with ${result.code}` };
  const parsed = FfprobeOutput.safeParse(JSON.parse(result.stdout || '{}'));
  if (!parsed.success || !parsed.data.format) return { kind: 'unreadable', detail: 'ffprobe found no container' };
  const { streams, format } = parsed.data;
  const video = streams.find((stream) => stream.codec_type === 'video' && !isCoverArt(stream));
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  const durations = [format.duration, ...streams.map((stream) => stream.duration)].map(seconds);
  const facts: SourceFacts = {
    formatName: format.format_name ?? 'unknown',
    sizeBytes: Number(format.size ?? (await stat(file)).size),
    durationSeconds: seconds(format.duration) || Math.max(0, ...durations),
    video: video
      ? {
          codec: video.codec_name ?? 'unknown',
          width: video.width ?? 0,
          height: video.height ?? 0,
          rotation: rotationOf(video),
          frameRate: rate(video.avg_frame_rate) || rate(video.r_frame_rate),
          decodable: true,
        }
      : null,
    audio: audio
      ? {
          codec: audio.codec_name ?? 'unknown',
          channels: audio.channels ?? 0,
          sampleRate: Number(audio.sample_rate ?? 0),
        }
      : null,
  };
  if (facts.video && options.ffmpegPath) {
    const trial = await trialDecode(file, options.ffmpegPath);
    if (!trial.ok) facts.video = { ...facts.video, decodable: false, decodeError: trial.error };
  }
  return { kind: 'probed', facts };
}

type Stream = z.infer<typeof FfprobeStream>;

/** MP4s from music apps carry a still image as a "video" stream; it is not the video. */
const isCoverArt = (stream: Stream) =>
  (stream.disposition as { attached_pic?: number } | undefined)?.attached_pic === 1;

function rotationOf(stream: Stream): number {
  const matrix = stream.side_data_list?.find((data) => typeof data.rotation === 'number')?.rotation;
  if (typeof matrix === 'number') return matrix;
  const tag = Number(stream.tags?.rotate ?? 0);
  return Number.isFinite(tag) ? tag : 0;
}

async function trialDecode(file: string, ffmpegPath: string): Promise<{ ok: true } | { ok: false; error: string }> {
  let frames = 0;
  const result = await runProcess(
    ffmpegPath,
    [
      '-nostdin',
      '-v',
      'error',
      '-i',
      file,
      '-map',
      '0:v:0',
      '-frames:v',
      '3',
      '-f',
      'null',
      '-progress',
      'pipe:1',
      '-',
    ],
    {
      stallMs: 60_000,
      onLine: (line) => {
        if (line.startsWith('frame=')) frames = Math.max(frames, Number(line.slice(6)) || 0);
      },
    },
  );
  if (frames > 0) return { ok: true };
  const last = result.stderrTail.split('\n').pop()?.trim();
  return { ok: false, error: last ? last.slice(0, 200) : 'no picture could be decoded' };
}

/**
 * The standalone Prober: copies the source out of the object store into a scratch folder (MP4s
 * need random access; the store's file may be replaced meanwhile), probes it, removes the copy.
 */
export function storeProber(options: ProbeOptions & { sources: ObjectStore; workDir: string }): Prober {
  return {
    async probe(sourceKey) {
      const object = await options.sources.get(sourceKey);
      if (!object) return { kind: 'unreadable', detail: `the uploaded file ${sourceKey} is gone` };
      await mkdir(options.workDir, { recursive: true });
      const dir = await mkdtemp(join(options.workDir, 'probe-'));
      try {
        const file = join(dir, 'source');
        await pipeline(object.body, createWriteStream(file));
        return await probe(file, options);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
