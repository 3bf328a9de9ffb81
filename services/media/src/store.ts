import type { EventEnvelope } from '#shared/events/define.js';
import type { Item, Table } from '#shared/ports/table.js';
import { MediaVideo } from './domain/media-video.js';

/**
 * The media service's records on its own table:
 *   video#<id> / media   the video's pipeline state; while waiting or processing it sits in gsi1
 *                        `media#active` (ordered by last update) so recovery can find it.
 * Each save is conditional on the version read (optimistic concurrency) and commits its events in
 * the same transaction (the outbox).
 */
const key = (videoId: string) => ({ pk: `video#${videoId}`, sk: 'media' });

export interface Stored {
  video: MediaVideo;
  version: number;
}

function toItem(video: MediaVideo, version: number): Item {
  const active = video.state === 'waiting' || video.state === 'processing';
  return {
    ...key(video.videoId),
    ...(video as unknown as Record<string, never>),
    version,
    ...(active ? { gsi1pk: 'media#active', gsi1sk: `${video.updatedAt}#${video.videoId}` } : {}),
  };
}

export type MediaStore = ReturnType<typeof mediaStore>;

export function mediaStore(table: Table) {
  return {
    async find(videoId: string): Promise<Stored | undefined> {
      const item = await table.get(key(videoId));
      if (!item) return undefined;
      return { video: MediaVideo.parse(item), version: typeof item.version === 'number' ? item.version : 0 };
    },

    /** Writes `next` if nobody wrote since `previous` was read (or if it is new); throws ConditionFailedError otherwise. */
    async save(previous: Stored | undefined, next: MediaVideo, events: EventEnvelope[] = []): Promise<Stored> {
      const version = (previous?.version ?? 0) + 1;
      const when = previous
        ? [{ kind: 'equals' as const, attribute: 'version', value: previous.version }]
        : [{ kind: 'notExists' as const }];
      await table.transact([{ put: toItem(MediaVideo.parse(next), version), when }], { events });
      return { video: next, version };
    },

    async remove(previous: Stored, events: EventEnvelope[] = []): Promise<void> {
      await table.transact(
        [
          {
            delete: key(previous.video.videoId),
            when: [{ kind: 'equals', attribute: 'version', value: previous.version }],
          },
        ],
        { events },
      );
    },

    /** Videos waiting or processing, oldest update first. */
    async active(limit = 100): Promise<MediaVideo[]> {
      const videos: MediaVideo[] = [];
      let cursor: string | undefined;
      do {
        const page = await table.query({
          index: 'gsi1',
          partition: 'media#active',
          limit: Math.min(100, limit - videos.length),
          ...(cursor ? { cursor } : {}),
        });
        videos.push(...page.items.map((item) => MediaVideo.parse(item)));
        cursor = page.cursor;
      } while (cursor && videos.length < limit);
      return videos;
    },
  };
}
