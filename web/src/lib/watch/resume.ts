/**
 * Resuming: where a title starts for this viewer, and how far along a card's bar is. The finished
 * rule itself is the engagement service's (`finished` comes with every saved position).
 */
export interface SavedPosition {
  positionSeconds: number;
  durationSeconds: number;
  finished: boolean;
}

/** Less than this in, a position is not worth offering to resume (the opening seconds). */
export const MIN_RESUME_SECONDS = 3;

/** Where playback starts: the saved position, or 0 when there is none, it is finished or barely begun. */
export function resumeFrom(saved: SavedPosition | null | undefined): number {
  if (!saved || saved.finished || saved.positionSeconds < MIN_RESUME_SECONDS) return 0;
  // Never resume on the very last frame: a few seconds before the end at most.
  return Math.max(0, Math.min(saved.positionSeconds, saved.durationSeconds - 1));
}

/** How far along, 0–100, for a card's progress bar. */
export function watchedPercent(saved: Pick<SavedPosition, 'positionSeconds' | 'durationSeconds'>): number {
  if (!(saved.durationSeconds > 0)) return 0;
  return Math.min(100, Math.max(0, (saved.positionSeconds / saved.durationSeconds) * 100));
}
