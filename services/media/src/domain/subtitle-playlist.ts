import { vttCue } from './subtitles.js';
import type { SubtitleCue } from './subtitles.js';

/**
 * A subtitle language as HLS publishes it: a segmented WebVTT media playlist whose segments line up
 * with the video's, and an `EXT-X-MEDIA:TYPE=SUBTITLES` rendition in the master (see playlist.ts).
 */

/**
 * The `X-TIMESTAMP-MAP` of every segment: WebVTT time 0 is media time MPEGTS (90 kHz). Kinema's
 * ladders are fMP4 whose first fragment has `tfdt` 0 (measured on the ffmpeg ladder: tfdt 0 on
 * video and audio, first video PTS 0.066 s from B-frame reordering; MediaConvert's CMAF output is
 * zero-based as well, `TimecodeConfig: ZEROBASED`), so 0 maps to 0. MPEG-TS output from ffmpeg
 * would start at 126000 (1.4 s) instead; Kinema writes none.
 */
export const SUBTITLE_MPEGTS_ORIGIN = 0;

/** Where a video's subtitle renditions live in its HLS tree: one folder per language and revision. */
export const subtitleFolder = (language: string, revision: string) => `sub_${language}_${revision}`;
export const SUBTITLE_PLAYLIST = 'index.m3u8';
export const subtitleSegmentName = (index: number) => `seg_${String(index).padStart(5, '0')}.vtt`;

export interface SubtitleSegment {
  name: string;
  durationSeconds: number;
  text: string;
}

/**
 * Cuts the cues into one WebVTT file per video segment (`segmentSeconds`: the video's EXTINF
 * durations, in order). A cue that spans a boundary is repeated in each segment it touches, as
 * Apple's spec asks (players drop the duplicate); segments with no cue are header-only, so the
 * playlist covers the whole timeline. Cues after the video's end are not published. The cues are
 * what parseSubtitles returns: in start order, none overlapping.
 */
export function subtitleSegments(cues: SubtitleCue[], segmentSeconds: number[]): SubtitleSegment[] {
  const header = `WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:${SUBTITLE_MPEGTS_ORIGIN},LOCAL:00:00:00.000\n`;
  const segments: SubtitleSegment[] = [];
  let from = 0;
  // Checked cues are in start order without overlap, so their ends rise too: one sweep finds each
  // segment's cues (a two-hour film: 1,800 cues × 1,200 segments would be 2 M tests otherwise).
  let first = 0;
  segmentSeconds.forEach((duration, index) => {
    const to = from + duration;
    while (first < cues.length && (cues[first] as SubtitleCue).end <= from) first++;
    const inside: SubtitleCue[] = [];
    for (let at = first; at < cues.length && (cues[at] as SubtitleCue).start < to; at++)
      inside.push(cues[at] as SubtitleCue);
    segments.push({
      name: subtitleSegmentName(index),
      durationSeconds: duration,
      text: header + inside.map((cue) => `\n${vttCue(cue)}\n`).join(''),
    });
    from = to;
  });
  return segments;
}

/** The language's media playlist: VOD, ended, one EXTINF per segment, the video's target duration. */
export function subtitleMediaPlaylist(segments: SubtitleSegment[]): string {
  const target = Math.max(1, ...segments.map((segment) => Math.round(segment.durationSeconds)));
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    ...segments.flatMap((segment) => [`#EXTINF:${segment.durationSeconds.toFixed(6)},`, segment.name]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}
