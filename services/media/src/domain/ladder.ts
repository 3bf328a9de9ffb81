import { z } from 'zod';
import type { Rung } from '#shared/ports/transcoder.js';
import { displaySize } from './source.js';
import type { ProbeOutcome, SourceFacts } from './source.js';

/**
 * Apple's HLS authoring table (16:9, H.264): the boxes a rendition must fit in and their average
 * bitrates. Kinema picks from these, never upscaling past the source. Each rung is capped
 * quality (the idea of MediaConvert's QVBR): x264 at a constant rate factor, or MediaConvert at a
 * QVBR level, with the table's bitrate as the cap. A simple picture then costs a fraction of the
 * table's bits and a hard one is held under them. The qualities are calibrated by
 * `bench/suites/ladder-quality.ts` against the fixed-bitrate ladder (SSIM per rung): CRF 17 up to
 * 540p, where CRF 19 left the talking-head rungs 0.0015–0.002 SSIM under the fixed ones, 19 above.
 */
export const AUTHORING_RUNGS = [
  { width: 416, height: 234, videoBitrate: 145_000, crf: 17, qvbrLevel: 7 },
  { width: 640, height: 360, videoBitrate: 365_000, crf: 17, qvbrLevel: 7 },
  { width: 768, height: 432, videoBitrate: 1_100_000, crf: 17, qvbrLevel: 7 },
  { width: 960, height: 540, videoBitrate: 2_000_000, crf: 17, qvbrLevel: 7 },
  { width: 1280, height: 720, videoBitrate: 3_000_000, crf: 19, qvbrLevel: 7 },
  { width: 1920, height: 1080, videoBitrate: 6_000_000, crf: 19, qvbrLevel: 8 },
] as const;

/**
 * A capped-quality rung never spends more than 90 % of the table's bitrate over any two seconds
 * (the VBV buffer), so on a picture too hard for its quality it costs no more than the fixed ladder
 * would: x264 starts with its buffer 90 % full and may spend that on top of the cap (up to 1.8 s of
 * bits, +18 % of a 10 s title). In `bench/suites/ladder-quality.ts` (10 s sources) a cap at the
 * table's rate made the high-motion noise source cost 1.08× the fixed ladder, at 92 % 1.00×, at
 * 90 % 0.98×, each of its rungs within 0.002 SSIM of the fixed rung's. MediaConvert gets the same
 * cap as its peak and its average ceiling.
 */
export const CAPPED_MAX_RATE_FACTOR = 0.9;
/** A fixed-bitrate rung (plans made before capped quality, the bench's baseline) peaks at 150 %. */
export const MAX_RATE_FACTOR = 1.5;
export const AUDIO_BITRATE = 128_000;
export const SEGMENT_SECONDS = 6;
/** An IDR every 2 s, aligned across rungs, so a player can switch at any segment boundary. */
export const KEYFRAME_SECONDS = 2;
export const MAX_FRAME_RATE = 60;

/** What Kinema accepts; above these it refuses with a reason instead of burning hours of CPU. */
export const LIMITS = {
  maxWidth: 4096,
  maxHeight: 4096,
  maxDurationSeconds: 6 * 3600,
  minDurationSeconds: 0.5,
} as const;

export const LadderRung = z.object({
  name: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  videoBitrate: z.number().int().positive(),
  maxBitrate: z.number().int().positive(),
  /** Absent on plans made before capped quality: those rungs were fixed-bitrate. */
  crf: z.number().positive().optional(),
  qvbrLevel: z.number().int().min(1).max(10).optional(),
});

/** Everything the transcode needs, decided once from the probe and kept on the video's record. */
export const TranscodePlan = z.object({
  ladder: z.array(LadderRung).min(1),
  hasAudio: z.boolean(),
  durationSeconds: z.number().positive(),
  /** The output frame rate (the source's, capped at 60). */
  frameRate: z.number().positive(),
  /** Frames between IDRs: 2 s of frames. */
  gopFrames: z.number().int().positive(),
  source: z.object({ width: z.number().int(), height: z.number().int(), rotation: z.number() }),
});
export type TranscodePlan = z.infer<typeof TranscodePlan>;

const even = (value: number) => Math.max(2, Math.round(value / 2) * 2);
const evenDown = (value: number) => Math.max(2, Math.floor(value / 2) * 2);

/**
 * The ladder for a picture of this display size. Each authoring box is fitted to the source's
 * aspect ratio (a 4:3 or portrait source keeps its shape); boxes that would upscale are dropped;
 * a source smaller than the lowest box gets one rung at its own size, rounded down to even.
 */
export function ladderFor(display: { width: number; height: number }): Rung[] {
  const portrait = display.height > display.width;
  const long = portrait ? display.height : display.width;
  const short = portrait ? display.width : display.height;
  const rungs: Rung[] = [];
  for (const box of AUTHORING_RUNGS) {
    const scale = Math.min(box.width / long, box.height / short);
    if (scale > 1) continue;
    const outLong = even(long * scale);
    const outShort = even(short * scale);
    const [width, height] = portrait ? [outShort, outLong] : [outLong, outShort];
    if (rungs.some((rung) => rung.width === width && rung.height === height)) continue;
    rungs.push(rung(width, height, box));
  }
  if (rungs.length === 0) rungs.push(rung(evenDown(display.width), evenDown(display.height), AUTHORING_RUNGS[0]));
  return rungs;
}

type AuthoringRung = (typeof AUTHORING_RUNGS)[number];

function rung(width: number, height: number, box: AuthoringRung): Rung {
  return {
    name: `${width}x${height}`,
    width,
    height,
    videoBitrate: box.videoBitrate,
    maxBitrate: Math.round(box.videoBitrate * CAPPED_MAX_RATE_FACTOR),
    crf: box.crf,
    qvbrLevel: box.qvbrLevel,
  };
}

/** The same ladder at Apple's fixed average bitrates: the baseline capped quality is measured against. */
export function fixedBitrate(ladder: Rung[]): Rung[] {
  return ladder.map(({ name, width, height, videoBitrate }) => ({
    name,
    width,
    height,
    videoBitrate,
    maxBitrate: Math.round(videoBitrate * MAX_RATE_FACTOR),
  }));
}

export type Assessment = { accepted: true; plan: TranscodePlan } | { accepted: false; reason: string };

const formatDuration = (seconds: number) => {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min ${Math.round(seconds % 60)} s`;
};

/**
 * Decides from the probe whether Kinema can make a ladder of this file, and which. Every refusal
 * is a sentence an admin can act on, shown on the admin page as the video's failure reason.
 */
export function assessSource(outcome: ProbeOutcome): Assessment {
  if (outcome.kind === 'unreadable') return { accepted: false, reason: unreadableReason(outcome.detail) };
  const facts: SourceFacts = outcome.facts;
  const video = facts.video;
  if (!video) {
    return facts.audio
      ? { accepted: false, reason: 'the file has only audio; upload a file with a video track' }
      : { accepted: false, reason: 'the file holds no video track Kinema can read; upload an MP4 with H.264 video' };
  }
  if (!video.decodable || video.width === 0 || video.height === 0) {
    const why = video.decodeError ? ` (${video.decodeError})` : '';
    return {
      accepted: false,
      reason: `the video track (${video.codec}) cannot be decoded${why}; the file may be damaged or use an unsupported codec`,
    };
  }
  if (facts.durationSeconds < LIMITS.minDurationSeconds) {
    return {
      accepted: false,
      reason: `the video lasts ${facts.durationSeconds.toFixed(1)} s; it must last at least ${LIMITS.minDurationSeconds} s`,
    };
  }
  const display = displaySize(video);
  if (display.width > LIMITS.maxWidth || display.height > LIMITS.maxHeight) {
    return {
      accepted: false,
      reason: `the video is ${display.width}x${display.height}; Kinema accepts at most ${LIMITS.maxWidth}x${LIMITS.maxHeight}`,
    };
  }
  if (facts.durationSeconds > LIMITS.maxDurationSeconds) {
    return {
      accepted: false,
      reason: `the video lasts ${formatDuration(facts.durationSeconds)}; Kinema accepts at most ${LIMITS.maxDurationSeconds / 3600} hours`,
    };
  }
  // Phones write variable frame rates and some files none at all; 30 is the safe default.
  const sourceRate = Number.isFinite(video.frameRate) && video.frameRate > 0 ? video.frameRate : 30;
  const frameRate = Math.min(sourceRate, MAX_FRAME_RATE);
  return {
    accepted: true,
    plan: {
      ladder: ladderFor(display),
      hasAudio: facts.audio !== null,
      durationSeconds: facts.durationSeconds,
      frameRate: Math.round(frameRate * 1000) / 1000,
      gopFrames: Math.max(1, Math.round(frameRate * KEYFRAME_SECONDS)),
      source: { width: video.width, height: video.height, rotation: video.rotation },
    },
  };
}

function unreadableReason(detail: string): string {
  if (/moov atom not found/i.test(detail)) {
    return 'the file is incomplete: its MP4 index (moov atom) is missing, so the upload was probably cut short; upload it again';
  }
  if (/invalid data found/i.test(detail)) {
    return 'the file is not a video Kinema can read (it is not a media container); upload an MP4';
  }
  const line = detail.trim().split('\n').pop()?.slice(0, 200) ?? '';
  return `the file could not be read as a video${line ? ` (${line})` : ''}; upload an MP4`;
}
