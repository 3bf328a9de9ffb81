import { z } from 'zod';

/**
 * Likes, on one partition per video:
 *
 * - `video#<id>` / `viewer#<userId>`: the viewer likes the video. This item is the truth: a like
 *   is its creation, an unlike its deletion, both conditional, so a repeat changes nothing.
 * - `video#<id>` / `count#<region>`: that region's counter shard, moved by +1/-1 in the same
 *   transaction as the viewer item. On AWS two regions write at once and global tables resolve
 *   conflicts per item, last writer wins: two regions adding to ONE counter item would lose
 *   increments. Each region therefore adds only to its own shard, no item is written by two
 *   regions, replication never has a conflict to resolve, and the count is the sum of the shards.
 *   A shard may go below zero (Singapore withdrawing likes made in Tokyo); the sum cannot.
 *   What this does not cover: ONE viewer liking in both regions within the replication lag (about
 *   a second; it takes a failover mid-click). Both conditional puts succeed locally, both shards
 *   move, and replication keeps one viewer item: the count is one too high until that viewer's
 *   next unlike. Kinema routes a viewer to one region at a time, so this is left as known.
 * - `video#<id>` / `facts`: what engagement knows of the title from the catalog's events.
 */
export const videoPartition = (videoId: string) => `video#${videoId}`;
export const viewerKey = (videoId: string, userId: string) => ({ pk: videoPartition(videoId), sk: `viewer#${userId}` });
export const SHARD_PREFIX = 'count#';
export const shardKey = (videoId: string, region: string) => ({
  pk: videoPartition(videoId),
  sk: `${SHARD_PREFIX}${region}`,
});
export const factsKey = (videoId: string) => ({ pk: videoPartition(videoId), sk: 'facts' });

/** The channel a video's live count is pushed on (AppSync Events namespace `likes`). */
export const likesChannel = (videoId: string) => `likes/${videoId}`;

/** The count is the sum of the regions' shards; never shown below zero while replicas catch up. */
export function sumShards(shards: readonly Record<string, unknown>[]): number {
  let total = 0;
  for (const shard of shards) if (typeof shard.count === 'number') total += shard.count;
  return Math.max(0, total);
}

export const LikeState = z.object({
  count: z.number().int().nonnegative(),
  /** Present only when the viewer is signed in. */
  liked: z.boolean().optional(),
});
export type LikeState = z.infer<typeof LikeState>;
