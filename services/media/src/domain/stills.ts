import type { Rung } from '#shared/ports/transcoder.js';

export interface StillSize {
  width: number;
  height: number;
}

/** The poster's long side stays at or below this (a 720p frame for a 16:9 source). */
export const POSTER_MAX_LONG_SIDE = 1280;

/**
 * The sizes of the poster and the thumbnails, taken from the ladder so that they keep the
 * picture's shape, never upscale and are even (what MediaConvert's frame capture demands): the
 * poster is the largest rendition whose long side is at most 1280. The thumbnails are the poster's
 * candidates (an admin may pick one as the poster), so they are taken at the poster's size too.
 * Both runtimes take their stills at these sizes (ffmpeg standalone, MediaConvert on AWS).
 */
export function stillSizes(ladder: readonly Rung[]): { poster: StillSize; thumbnail: StillSize } {
  const fits = ladder.filter((rung) => Math.max(rung.width, rung.height) <= POSTER_MAX_LONG_SIDE);
  const poster = fits.at(-1) ?? ladder[0];
  if (!poster) throw new Error('a transcode plan without renditions');
  const size = { width: poster.width, height: poster.height };
  return { poster: size, thumbnail: { ...size } };
}
