import * as library from 'media-captions';

/**
 * media-captions 1.0.4, typed. Its declaration files re-export with extensionless relative paths,
 * which NodeNext resolution does not follow, so TypeScript sees an empty module; these are the
 * parts Kinema calls, as the package's own `dist/types` declares them.
 */
export interface CaptionsParseError {
  /** 0 load, 1 bad signature, 2 bad timestamp, 3 bad setting value, 4 bad format, 5 unknown setting. */
  code: number;
  line: number;
  message: string;
}

export interface CaptionsCue {
  startTime: number;
  endTime: number;
  text: string;
}

interface MediaCaptions {
  parseText(
    text: string,
    options: { type: 'vtt' | 'srt'; errors: boolean; strict: boolean },
  ): Promise<{ cues: CaptionsCue[]; errors: CaptionsParseError[] }>;
  parseVTTTimestamp(timestamp: string): number | null;
}

export const captions = library as unknown as MediaCaptions;
