import { z } from 'zod';

/**
 * What the pipeline learns about an uploaded file before deciding anything. The prober (ffprobe
 * standalone) fills it in; the rules in `ladder.ts` and `assessSource` read nothing else.
 */
export const VideoTrack = z.object({
  codec: z.string(),
  /** Coded size, before any rotation is applied. */
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  /** Degrees the player must rotate the picture (display matrix or the `rotate` tag); 0 when none. */
  rotation: z.number(),
  frameRate: z.number().nonnegative(),
  /** False when a trial decode produced no picture; `decodeError` says why. */
  decodable: z.boolean().default(true),
  decodeError: z.string().optional(),
});
export type VideoTrack = z.infer<typeof VideoTrack>;

export const AudioTrack = z.object({
  codec: z.string(),
  channels: z.number().int().nonnegative(),
  sampleRate: z.number().int().nonnegative(),
});
export type AudioTrack = z.infer<typeof AudioTrack>;

export const SourceFacts = z.object({
  formatName: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  durationSeconds: z.number().nonnegative(),
  video: VideoTrack.nullable(),
  audio: AudioTrack.nullable(),
});
export type SourceFacts = z.infer<typeof SourceFacts>;

/** A probe either read the file's structure or could not; `detail` is the prober's own message. */
export const ProbeOutcome = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('probed'), facts: SourceFacts }),
  z.object({ kind: z.literal('unreadable'), detail: z.string() }),
]);
export type ProbeOutcome = z.infer<typeof ProbeOutcome>;

/** The picture as the viewer sees it: a quarter turn swaps width and height. */
export function displaySize(video: Pick<VideoTrack, 'width' | 'height' | 'rotation'>): {
  width: number;
  height: number;
} {
  const quarterTurn = Math.abs(Math.round(video.rotation / 90)) % 2 === 1;
  return quarterTurn ? { width: video.height, height: video.width } : { width: video.width, height: video.height };
}
