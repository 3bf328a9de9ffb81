import { z } from 'zod';

/**
 * Where a viewer is in a title, on the viewer's own partition:
 *
 * - `user#<userId>` / `progress#<videoId>`: the last position reported, with the duration the
 *   player knew and whether that counts as finished. While unfinished it also carries
 *   `gsi1pk = watching#<userId>`, `gsi1sk = <updatedAt>#<videoId>`: a sparse index, so "continue
 *   watching" is ONE query, newest first, that never reads finished titles (they drop their index
 *   attributes). No other table or index is needed, on SQLite or DynamoDB.
 */
export const userPartition = (userId: string) => `user#${userId}`;
export const PROGRESS_PREFIX = 'progress#';
export const progressKey = (userId: string, videoId: string) => ({
  pk: userPartition(userId),
  sk: `${PROGRESS_PREFIX}${videoId}`,
});
export const watchingPartition = (userId: string) => `watching#${userId}`;
export const watchingSort = (updatedAt: string, videoId: string) => `${updatedAt}#${videoId}`;

/** The longest title Kinema accepts a position for: 24 hours. */
export const MAX_DURATION_SECONDS = 24 * 60 * 60;

/** What a player reports; the body of `PUT …/progress` (and of the page's beacon). */
export const ProgressReport = z
  .object({
    positionSeconds: z.number().finite().nonnegative().max(MAX_DURATION_SECONDS),
    durationSeconds: z.number().finite().positive().max(MAX_DURATION_SECONDS),
  })
  .strict()
  .refine((report) => report.positionSeconds <= report.durationSeconds, {
    path: ['positionSeconds'],
    message: 'the position is beyond the duration',
  })
  .meta({ id: 'ProgressReport' });
export type ProgressReport = z.infer<typeof ProgressReport>;

/** A stored position, as the API answers it. */
export const Progress = z
  .object({
    videoId: z.string(),
    positionSeconds: z.number(),
    durationSeconds: z.number(),
    updatedAt: z.string(),
    finished: z.boolean(),
  })
  .meta({ id: 'Progress' });
export type Progress = z.infer<typeof Progress>;

/** The end credits: within this many seconds of the end counts as finished (long titles only). */
export const CREDITS_SECONDS = 120;
/** …and from this share of the duration on, whatever the length. */
export const FINISHED_SHARE = 0.95;
/** Titles shorter than this have no credits worth skipping: only the share applies. */
export const CREDITS_MIN_DURATION_SECONDS = 20 * 60;

/**
 * Has the viewer finished? At 95 % or later, or, for a title of 20 minutes or more, within the last
 * two minutes (the credits). A short clip is not "finished" two minutes before its end.
 */
export function isFinished({ positionSeconds, durationSeconds }: ProgressReport): boolean {
  if (positionSeconds >= durationSeconds * FINISHED_SHARE) return true;
  return durationSeconds >= CREDITS_MIN_DURATION_SECONDS && durationSeconds - positionSeconds <= CREDITS_SECONDS;
}

/** Where playback should start: the saved position, or the beginning when finished or absent. */
export function resumeAt(progress: Pick<Progress, 'positionSeconds' | 'finished'> | undefined): number {
  if (!progress || progress.finished) return 0;
  return progress.positionSeconds;
}

/** The item stored for a report; unfinished ones are in the "continue watching" index. */
export function progressItem(userId: string, videoId: string, report: ProgressReport, at: number) {
  const updatedAt = new Date(at).toISOString();
  const finished = isFinished(report);
  return {
    ...progressKey(userId, videoId),
    videoId,
    positionSeconds: report.positionSeconds,
    durationSeconds: report.durationSeconds,
    updatedAt,
    finished,
    ...(finished ? {} : { gsi1pk: watchingPartition(userId), gsi1sk: watchingSort(updatedAt, videoId) }),
  };
}

/** The row "continue watching" answers with. */
export const ContinueItem = z
  .object({
    videoId: z.string(),
    positionSeconds: z.number(),
    durationSeconds: z.number(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ContinueWatchingItem' });
export type ContinueItem = z.infer<typeof ContinueItem>;

/** At most this many titles in the row. */
export const CONTINUE_LIMIT = 20;
