/** One rung of the HLS ladder. */
export interface Rung {
  name: string;
  width: number;
  height: number;
  videoBitrate: number;
  maxBitrate: number;
}

export interface TranscodeJob {
  videoId: string;
  sourceKey: string;
  outputPrefix: string;
  ladder: Rung[];
  hasAudio: boolean;
}

/** MediaConvert on AWS; one ffmpeg process standalone. */
export interface Transcoder {
  start(job: TranscodeJob, onProgress: (percent: number) => void): Promise<{ jobId: string }>;
}
