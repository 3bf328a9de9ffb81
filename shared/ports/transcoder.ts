/**
 * The media pipeline's two I/O ports. The rules (which rungs, how a probe reads, what a failure
 * means) live in the media service; adapters only run ffprobe / ffmpeg / MediaConvert.
 */

/**
 * One rung of the HLS ladder. With `crf` (x264) / `qvbrLevel` (MediaConvert) the rung is capped
 * quality: constant quality, never above `maxBitrate`; without them it is encoded at the fixed
 * average `videoBitrate`. The VBV buffer is two seconds of `videoBitrate` either way.
 */
export interface Rung {
  name: string;
  width: number;
  height: number;
  /** Apple's authoring bitrate for this size: the average of a fixed-rate rung, the buffer's basis. */
  videoBitrate: number;
  /** The peak rate (VBV maxrate / MediaConvert MaxBitrate). */
  maxBitrate: number;
  /** x264 constant rate factor of a capped-quality rung. */
  crf?: number;
  /** MediaConvert's QVBR quality level (1–10) of a capped-quality rung. */
  qvbrLevel?: number;
}

/**
 * A step that refuses the source throws this; its message is the reason shown to the admin.
 * Step Functions (and aws-local-stepfunctions) carry `name` as the state error and `message` as the cause.
 */
export class MediaRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'MediaRejected';
  }
}

/** One ffprobe run as it ended: exit code (null when killed), its JSON report, its error tail. */
export interface FfprobeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a prober saw of an upload; the media service turns it into facts (`domain/ffprobe.ts`). */
export type ProbeReport =
  | { kind: 'missing'; detail: string }
  | {
      kind: 'ffprobe';
      run: FfprobeRun;
      /** The object's size when ffprobe's report lacks it. */
      sizeBytes?: number;
      /** Set when a trial decode of the first frames failed: a readable header, no picture. */
      decodeError?: string;
    };

export interface Prober {
  probe(sourceKey: string): Promise<ProbeReport>;
}

/** A ladder to encode, with every encoding constant the service decided. */
export interface LadderJob {
  videoId: string;
  sourceKey: string;
  outputPrefix: string;
  ladder: Rung[];
  hasAudio: boolean;
  durationSeconds: number;
  frameRate: number;
  gopFrames: number;
  segmentSeconds: number;
  keyframeSeconds: number;
  audioBitrate: number;
  /** Frames to capture, each scaled to exactly `width` x `height` (the service picks sizes that keep the shape). */
  stills: { key: string; atSeconds: number; width: number; height: number }[];
  /**
   * The seek-bar storyboard: every `everyNthKeyframe`-th keyframe of rung `sourceRung`'s output,
   * scaled to `width` x `height`, tiled `columns` x `rows` per JPEG sheet, written as
   * `<keyPrefix><sheetPattern>` (an ffmpeg image2 pattern numbered from 1). Absent: none.
   */
  storyboard?: {
    keyPrefix: string;
    sheetPattern: string;
    sourceRung: string;
    everyNthKeyframe: number;
    width: number;
    height: number;
    columns: number;
    rows: number;
  };
}

/** The standalone transcode (one ffmpeg process): the whole ladder plus stills, uploaded, or a thrown error. */
export interface LadderEncoder {
  encode(job: LadderJob, onProgress: (percent: number) => void): Promise<{ jobId: string }>;
}
