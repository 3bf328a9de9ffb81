/**
 * The per-title ladder: which encoded rungs are worth listing. Every rung is encoded at capped
 * quality (constant quality under Apple's bitrate), so its measured bitrate is what its picture
 * costs. A rung that costs barely more than the rung kept below it shows nearly nothing more: its
 * extra pixels hold no extra picture (a soft or upscaled source, a flat slide), so it would not look
 * better than the one below and is dropped; a player that would have chosen it plays the one below,
 * upscaled, at fewer bits. A rung no larger than the one below is dropped too. The lowest rung is
 * always kept, so every ladder has at least one.
 */

/** A larger rung must cost at least this much more (video bits) than the rung kept below it. */
export const MIN_BITRATE_GAIN = 0.15;

export interface MeasuredRung {
  name: string;
  width: number;
  height: number;
  /** The rung's measured average video bitrate, bits per second (audio excluded). */
  videoBitrate: number;
}

export interface DroppedRung {
  name: string;
  /** The kept rung a player gets instead. */
  servedBy: string;
  reason: string;
}

export function perTitleLadder<T extends MeasuredRung>(rungs: readonly T[]): { kept: T[]; dropped: DroppedRung[] } {
  const pixels = (rung: MeasuredRung) => rung.width * rung.height;
  const ordered = [...rungs].sort((a, b) => pixels(a) - pixels(b) || a.videoBitrate - b.videoBitrate);
  const kept: T[] = [];
  const dropped: DroppedRung[] = [];
  for (const rung of ordered) {
    const below = kept.at(-1);
    if (!below) {
      kept.push(rung);
      continue;
    }
    if (pixels(rung) <= pixels(below)) {
      dropped.push({ name: rung.name, servedBy: below.name, reason: `it is no larger than ${below.name}` });
      continue;
    }
    if (rung.videoBitrate < below.videoBitrate * (1 + MIN_BITRATE_GAIN)) {
      const gain = rung.videoBitrate / Math.max(1, below.videoBitrate) - 1;
      dropped.push({
        name: rung.name,
        servedBy: below.name,
        reason: `at the same quality it costs ${Math.round(gain * 100)} % more bits than ${below.name} (under ${MIN_BITRATE_GAIN * 100} %): its extra pixels hold no extra picture`,
      });
      continue;
    }
    kept.push(rung);
  }
  return { kept, dropped };
}
