import { ConditionFailedError } from '#shared/errors.js';
import { LikeCountChanged } from '#shared/events/engagement.js';
import type { Table } from '#shared/ports/table.js';
import { factsKey, SHARD_PREFIX, shardKey, sumShards, videoPartition, viewerKey } from './domain/likes.js';
import type { CatalogChange } from './domain/video.js';
import { applyCatalogChange, VideoState } from './domain/video.js';

export interface LikeStoreOptions {
  /** This runtime's region: the only counter shard it ever adds to; default `local` (standalone). */
  region?: string;
  now?: () => number;
}

/** Whether the write changed anything; a repeated like or unlike does not. */
export type LikeOutcome = 'changed' | 'unchanged' | 'unavailable';

/** The engagement service's records on the Table port (layout in domain/likes.ts). */
export function likeStore(table: Table, { region = 'local', now = Date.now }: LikeStoreOptions = {}) {
  const video = async (videoId: string): Promise<VideoState | undefined> => {
    const item = await table.get(factsKey(videoId));
    return item ? VideoState.parse(item) : undefined;
  };

  const count = async (videoId: string): Promise<number> => {
    const shards = [];
    let cursor: string | undefined;
    do {
      const page = await table.query({
        partition: videoPartition(videoId),
        sort: { beginsWith: SHARD_PREFIX },
        cursor,
      });
      shards.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return sumShards(shards);
  };

  const liked = async (videoId: string, userId: string) => (await table.get(viewerKey(videoId, userId))) !== undefined;

  /** The like and its shard move commit together with the event, or not at all. */
  const change = async (videoId: string, userId: string, like: boolean): Promise<LikeOutcome> => {
    const at = now();
    const viewer = viewerKey(videoId, userId);
    const delta = like ? 1 : -1;
    try {
      await table.transact(
        [
          // Checked in the transaction, so an unpublish racing the like wins cleanly.
          { check: factsKey(videoId), when: [{ kind: 'equals', attribute: 'published', value: true }] },
          like
            ? { put: { ...viewer, likedAt: new Date(at).toISOString(), region }, when: [{ kind: 'notExists' }] }
            : { delete: viewer, when: [{ kind: 'exists' }] },
          { update: shardKey(videoId, region), changes: { add: { count: delta } } },
        ],
        { events: [LikeCountChanged.create({ videoId, userId, liked: like, delta, region }, at)] },
      );
      return 'changed';
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      // Either the title went away or the viewer's like already was what was asked.
      const state = await video(videoId);
      return state?.published && !state.deleted ? 'unchanged' : 'unavailable';
    }
  };

  return {
    video,
    count,
    liked,
    like: (videoId: string, userId: string) => change(videoId, userId, true),
    unlike: (videoId: string, userId: string) => change(videoId, userId, false),

    /** Folds a catalog event into the title's state; idempotent and order-independent. */
    async applyCatalog(videoId: string, catalogChange: CatalogChange, version: string): Promise<void> {
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await video(videoId);
        const next = applyCatalogChange(current, catalogChange, version);
        if (!next) return;
        try {
          await table.put(
            { ...factsKey(videoId), ...next },
            current ? [{ kind: 'equals', attribute: 'version', value: current.version }] : [{ kind: 'notExists' }],
          );
          return;
        } catch (error) {
          if (!(error instanceof ConditionFailedError)) throw error; // a concurrent event: read again
        }
      }
      throw new Error(`catalog state of ${videoId} kept changing under the projection`);
    },
  };
}

export type LikeStore = ReturnType<typeof likeStore>;
