import type { Rung } from '#shared/ports/transcoder.js';
import { KEYFRAME_SECONDS } from './ladder.js';

/**
 * The seek-bar storyboard: small frames at a fixed interval, tiled into JPEG sprite sheets, and a
 * WebVTT track whose cues name each frame's rectangle (`sheet-001.jpg#xywh=x,y,w,h`), the format
 * media-chrome (and most players) read as "thumbnails". It lives under the title's HLS path, so
 * the same CloudFront cookies cover it. Both runtimes follow this one rule: ffmpeg tiles the
 * sheets standalone; on AWS MediaConvert's frame capture writes one JPEG per frame at the same
 * interval and size, and the track names those files instead of sheet rectangles.
 */
export const STORYBOARD_RULE = {
  /** The frame's longer side, in pixels. */
  tileLongSide: 160,
  columns: 10,
  rows: 10,
  /** About this many frames for any length: dense for a short clip, bounded for a film. */
  targetFrames: 300,
  minIntervalSeconds: KEYFRAME_SECONDS,
  maxIntervalSeconds: 10,
} as const;

export interface StoryboardPlan {
  /** Seconds between frames: a whole number of keyframe intervals, so only keyframes are decoded. */
  intervalSeconds: number;
  width: number;
  height: number;
  columns: number;
  rows: number;
  /** Frames across the whole title: one at 0 s and one every interval after. */
  frames: number;
  /** The rendition the frames are taken from (the smallest: cheap to decode, still sharper than a tile). */
  sourceRung: string;
}

const even = (value: number) => Math.max(2, Math.round(value / 2) * 2);

/** The storyboard of a ladder and a duration. */
export function storyboardPlan(ladder: readonly Rung[], durationSeconds: number): StoryboardPlan {
  const smallest = ladder[0];
  if (!smallest) throw new Error('a transcode plan without renditions');
  const rule = STORYBOARD_RULE;
  const keyframes = Math.ceil(durationSeconds / rule.targetFrames / KEYFRAME_SECONDS);
  const intervalSeconds = Math.min(
    rule.maxIntervalSeconds,
    Math.max(rule.minIntervalSeconds, keyframes * KEYFRAME_SECONDS),
  );
  const long = Math.max(smallest.width, smallest.height);
  const scale = Math.min(1, rule.tileLongSide / long);
  return {
    intervalSeconds,
    width: even(smallest.width * scale),
    height: even(smallest.height * scale),
    columns: rule.columns,
    rows: rule.rows,
    frames: Math.max(1, Math.ceil(durationSeconds / intervalSeconds)),
    sourceRung: smallest.name,
  };
}

/** Where the storyboard lives, relative to the title's HLS folder. */
export const STORYBOARD_DIR = 'storyboard/';
export const STORYBOARD_TRACK = `${STORYBOARD_DIR}thumbnails.vtt`;
/** Sprite sheet `index` (0-based) as ffmpeg's image2 muxer numbers it (from 1). */
export const sheetName = (index: number) => `sheet-${String(index + 1).padStart(3, '0')}.jpg`;
export const SHEET_PATTERN = 'sheet-%03d.jpg';
/** MediaConvert frame capture names its files `<base>.<7-digit index>.jpg`. */
export const FRAME_BASE = 'frame';
export const frameName = (index: number) => `${FRAME_BASE}.${String(index).padStart(7, '0')}.jpg`;

export const sheetsFor = (plan: StoryboardPlan) => Math.ceil(plan.frames / (plan.columns * plan.rows));

function timestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (value: number, size = 2) => String(value).padStart(size, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/**
 * The thumbnails track. `layout` says what the pipeline wrote: sprite sheets (standalone) or one
 * JPEG per frame (MediaConvert frame capture); `available` is how many frames exist, so a track
 * never points at a frame that was not written. Image paths are relative to the track itself.
 */
export function storyboardVtt(
  plan: StoryboardPlan,
  durationSeconds: number,
  layout: 'sheets' | 'frames',
  available: number,
): string {
  const perSheet = plan.columns * plan.rows;
  const count = Math.min(plan.frames, available);
  const lines = ['WEBVTT', ''];
  for (let index = 0; index < count; index++) {
    const start = index * plan.intervalSeconds;
    const end = index === count - 1 ? Math.max(durationSeconds, start + 0.001) : (index + 1) * plan.intervalSeconds;
    let target: string;
    if (layout === 'sheets') {
      const cell = index % perSheet;
      const x = (cell % plan.columns) * plan.width;
      const y = Math.floor(cell / plan.columns) * plan.height;
      target = `${sheetName(Math.floor(index / perSheet))}#xywh=${x},${y},${plan.width},${plan.height}`;
    } else {
      target = `${frameName(index)}#xywh=0,0,${plan.width},${plan.height}`;
    }
    lines.push(`${timestamp(start)} --> ${timestamp(end)}`, target, '');
  }
  return lines.join('\n');
}
