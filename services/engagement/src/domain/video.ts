import { z } from 'zod';

/**
 * What engagement knows of a catalog title, projected from the catalog's events: only whether it
 * can be liked. `version` is the (event time, event id) of the last event applied, so late or
 * repeated deliveries change nothing; a deletion is final.
 */
export const VideoState = z.object({
  published: z.boolean(),
  deleted: z.boolean(),
  version: z.string(),
});
export type VideoState = z.infer<typeof VideoState>;

export type CatalogChange = 'published' | 'unpublished' | 'deleted';

/** Orders events by their time, then id: a fixed-width string, so plain comparison works. */
export const eventVersion = (time: string, id: string) => `${String(Date.parse(time)).padStart(15, '0')}#${id}`;

/** The next state, or undefined when the event changes nothing (older, a redelivery, after deletion). */
export function applyCatalogChange(
  current: VideoState | undefined,
  change: CatalogChange,
  version: string,
): VideoState | undefined {
  if (current?.deleted) return undefined;
  if (change === 'deleted') return { published: false, deleted: true, version };
  if (current && version <= current.version) return undefined;
  return { published: change === 'published', deleted: false, version };
}

/** Published and not deleted: what viewers may see, like, list and keep a position in. */
export const isOnShow = (video: VideoState | undefined): boolean => video?.published === true && !video.deleted;
export const canBeLiked = isOnShow;
