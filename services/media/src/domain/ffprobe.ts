import type { FfprobeRun, ProbeReport } from '#shared/ports/transcoder.js';
import { z } from 'zod';
import type { ProbeOutcome, VideoTrack } from './source.js';

/**
 * ffprobe's `-print_format json -show_format -show_streams` report, read into the facts the ladder
 * rules use. Pure, so any runtime that can run ffprobe (a Lambda reading the source through a
 * presigned URL, for one) turns its output into the same ProbeOutcome.
 */
const Stream = z.looseObject({
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
  disposition: z.record(z.string(), z.number()).optional(),
  side_data_list: z.array(z.looseObject({ rotation: z.number().optional() })).optional(),
});
type Stream = z.infer<typeof Stream>;

const Report = z.object({
  streams: z.array(Stream).default([]),
  format: z
    .looseObject({ format_name: z.string().optional(), duration: z.string().optional(), size: z.string().optional() })
    .optional(),
});

export type { FfprobeRun };

/** "30000/1001" → 29.97; "0/0" or nothing → 0. */
const rate = (text: string | undefined): number => {
  const [numerator, denominator] = (text ?? '').split('/').map(Number);
  if (numerator === undefined || !Number.isFinite(numerator)) return 0;
  if (denominator === undefined) return numerator;
  return denominator > 0 ? numerator / denominator : 0;
};
const positiveSeconds = (text: string | undefined): number => {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : 0;
};

/** Music apps store cover art as a one-picture "video" stream; it is not the video. */
const isCoverArt = (stream: Stream) => stream.disposition?.attached_pic === 1;

/** The display matrix wins over the legacy `rotate` tag. */
function rotation(stream: Stream): number {
  const matrix = stream.side_data_list?.find((data) => typeof data.rotation === 'number')?.rotation;
  if (typeof matrix === 'number') return matrix;
  const tag = Number(stream.tags?.rotate ?? 0);
  return Number.isFinite(tag) ? tag : 0;
}

/**
 * One ffprobe run → ProbeOutcome. A file ffprobe cannot read is an outcome (`unreadable`, with
 * ffprobe's own last words), not an error: the pipeline turns it into a reason for the admin.
 * Without a trial decode (`decodable` stays true) an undecodable picture is left to the
 * transcoder to report.
 */
export function outcomeFromFfprobe(run: FfprobeRun): ProbeOutcome {
  if (run.code !== 0) {
    const detail = run.stderr.trim() || (run.code === null ? 'ffprobe was stopped' : `ffprobe exited with ${run.code}`);
    return { kind: 'unreadable', detail };
  }
  let json: unknown;
  try {
    json = JSON.parse(run.stdout || '{}');
  } catch {
    return { kind: 'unreadable', detail: 'ffprobe wrote no readable report' };
  }
  const parsed = Report.safeParse(json);
  if (!parsed.success || !parsed.data.format) return { kind: 'unreadable', detail: 'ffprobe found no container' };
  const { streams, format } = parsed.data;
  const video = streams.find((stream) => stream.codec_type === 'video' && !isCoverArt(stream));
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  const streamSeconds = streams.map((stream) => positiveSeconds(stream.duration));
  const videoTrack: VideoTrack | null = video
    ? {
        codec: video.codec_name ?? 'unknown',
        width: video.width ?? 0,
        height: video.height ?? 0,
        rotation: rotation(video),
        frameRate: rate(video.avg_frame_rate) || rate(video.r_frame_rate),
        decodable: true,
      }
    : null;
  return {
    kind: 'probed',
    facts: {
      formatName: format.format_name ?? 'unknown',
      sizeBytes: Math.max(0, Math.trunc(Number(format.size ?? 0)) || 0),
      durationSeconds: positiveSeconds(format.duration) || Math.max(0, ...streamSeconds),
      video: videoTrack,
      audio: audio
        ? {
            codec: audio.codec_name ?? 'unknown',
            channels: audio.channels ?? 0,
            sampleRate: Math.trunc(Number(audio.sample_rate ?? 0)) || 0,
          }
        : null,
    },
  };
}

/**
 * A prober's report → the facts the ladder rules read. The same mapping on both runtimes: the
 * adapters only run ffprobe (and, standalone, a trial decode of the first frames).
 */
export function outcomeFromProbeReport(report: ProbeReport): ProbeOutcome {
  if (report.kind === 'missing') return { kind: 'unreadable', detail: report.detail };
  const outcome = outcomeFromFfprobe(report.run);
  if (outcome.kind !== 'probed') return outcome;
  const facts = { ...outcome.facts, sizeBytes: outcome.facts.sizeBytes || report.sizeBytes || 0 };
  if (facts.video && report.decodeError !== undefined) {
    facts.video = { ...facts.video, decodable: false, decodeError: report.decodeError };
  }
  return { kind: 'probed', facts };
}
