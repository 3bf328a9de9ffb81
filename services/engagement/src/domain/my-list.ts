import { z } from 'zod';
import { userPartition } from './progress.js';

/**
 * "My list", on the viewer's partition: `user#<userId>` / `list#<videoId>`, with
 * `gsi2pk = list#<userId>`, `gsi2sk = <addedAt>#<videoId>` so the list reads newest first in one
 * query. Adding is idempotent (a repeat keeps the first `addedAt`), removing too.
 */
export const LIST_PREFIX = 'list#';
export const listKey = (userId: string, videoId: string) => ({
  pk: userPartition(userId),
  sk: `${LIST_PREFIX}${videoId}`,
});
export const listPartition = (userId: string) => `list#${userId}`;

/** A list longer than this is no longer a list; adding the next one is refused (409). */
export const MAX_LIST_ITEMS = 500;

export function listItem(userId: string, videoId: string, at: number) {
  const addedAt = new Date(at).toISOString();
  return {
    ...listKey(userId, videoId),
    videoId,
    addedAt,
    gsi2pk: listPartition(userId),
    gsi2sk: `${addedAt}#${videoId}`,
  };
}

export const ListEntry = z.object({ videoId: z.string(), addedAt: z.string() }).meta({ id: 'MyListEntry' });
export type ListEntry = z.infer<typeof ListEntry>;

export const ListState = z.object({ videoId: z.string(), inList: z.boolean() }).meta({ id: 'MyListState' });
