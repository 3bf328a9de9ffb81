import type { EventEnvelope } from '#shared/events/define.js';
import { notFound } from '#shared/errors.js';
import type { Condition, Item, Table } from '#shared/ports/table.js';
import { Video } from './domain/video.js';

/**
 * The catalog's records on its own table:
 *   video#<id> / video     the video; gsi1 `videos` lists all by creation (admin),
 *                          gsi2 `published` lists published ones by publication (viewers).
 */
const key = (videoId: string) => ({ pk: `video#${videoId}`, sk: 'video' });

/** The item a video is stored as (the store's own writes, and bulk seeding in the benchmarks). */
export function videoItem(video: Video): Item {
  return {
    ...key(video.videoId),
    ...(video as unknown as Record<string, never>),
    gsi1pk: 'videos',
    gsi1sk: `${video.createdAt}#${video.videoId}`,
    ...(video.published && video.publishedAt
      ? { gsi2pk: 'published', gsi2sk: `${video.publishedAt}#${video.videoId}` }
      : {}),
  };
}

function fromItem(item: Item): Video {
  return Video.parse(item);
}

export type CatalogStore = ReturnType<typeof catalogStore>;

export function catalogStore(table: Table) {
  return {
    async find(videoId: string): Promise<Video | undefined> {
      const item = await table.get(key(videoId));
      return item ? fromItem(item) : undefined;
    },

    async get(videoId: string): Promise<Video> {
      const video = await this.find(videoId);
      if (!video) throw notFound('video');
      return video;
    },

    /** Creates the video with its event; fails if the id exists. */
    async create(video: Video, events: EventEnvelope[]): Promise<void> {
      await table.transact([{ put: videoItem(video), when: [{ kind: 'notExists' }] }], { events });
    },

    /**
     * Replaces the video only if nobody changed it since `previous` was read (optimistic
     * concurrency on updatedAt), committing its events in the same transaction.
     */
    async save(previous: Video, next: Video, events: EventEnvelope[] = []): Promise<void> {
      const when: Condition[] = [{ kind: 'equals', attribute: 'updatedAt', value: previous.updatedAt }];
      const item = videoItem(next);
      await table.transact([{ put: item, when }], { events });
    },

    async remove(video: Video, events: EventEnvelope[]): Promise<void> {
      await table.transact([{ delete: key(video.videoId), when: [{ kind: 'exists' }] }], { events });
    },

    async list(options: { publishedOnly: boolean; limit: number; cursor?: string }) {
      const page = await table.query({
        index: options.publishedOnly ? 'gsi2' : 'gsi1',
        partition: options.publishedOnly ? 'published' : 'videos',
        descending: true,
        limit: options.limit,
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      return { items: page.items.map(fromItem), nextCursor: page.cursor ?? null };
    },
  };
}
