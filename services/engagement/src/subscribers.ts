import { VideoDeleted, VideoPublished, VideoUnpublished } from '#shared/events/catalog.js';
import { LikeCountChanged } from '#shared/events/engagement.js';
import { subscribe } from '#shared/events/subscribe.js';
import type { Logger } from '#shared/log.js';
import type { Subscription } from '#shared/ports/bus.js';
import type { Realtime } from '#shared/ports/realtime.js';
import type { Table } from '#shared/ports/table.js';
import { eventVersion } from './domain/video.js';
import type { CatalogChange } from './domain/video.js';
import { likeFanout } from './fanout.js';
import { likeStore } from './store.js';

export interface EngagementSubscriberDeps {
  table: Table;
  /** Where live counts go (AppSync Events on AWS, the SSE hub standalone). */
  realtime: Realtime;
  /**
   * Whether a `LikeCountChanged` delivery waits for its live update to be published. A Lambda
   * must (it freezes on return); the standalone dispatcher must not (it would pace the bus).
   */
  awaitFanout?: boolean;
  logger?: Logger;
}

/**
 * The events the engagement service consumes; infra turns this list into bus rules. The catalog's
 * publication events keep `video#<id>/facts` current (ordered by event time, idempotent), so
 * likes never call the catalog; `LikeCountChanged` drives the live fan-out.
 *
 * Infra calls this without deps only to read names and events; handlers then need adapters.
 */
export function engagementSubscriptions(deps?: EngagementSubscriberDeps): Subscription[] {
  const wired = () => {
    if (!deps) throw new Error('engagement subscribers need a table and a realtime adapter');
    return deps;
  };
  let store: ReturnType<typeof likeStore> | undefined;
  const theStore = () => (store ??= likeStore(wired().table));
  let fanout: ReturnType<typeof likeFanout> | undefined;
  const theFanout = () =>
    (fanout ??= likeFanout({ realtime: wired().realtime, count: theStore().count, logger: wired().logger }));

  const catalog =
    (change: CatalogChange) => async (detail: { videoId: string }, envelope: { time: string; id: string }) =>
      theStore().applyCatalog(detail.videoId, change, eventVersion(envelope.time, envelope.id));

  return [
    subscribe('engagement.video-published', VideoPublished, catalog('published')),
    subscribe('engagement.video-unpublished', VideoUnpublished, catalog('unpublished')),
    subscribe('engagement.video-deleted', VideoDeleted, catalog('deleted')),
    subscribe('engagement.live-likes', LikeCountChanged, async ({ videoId }) => {
      const published = theFanout().notify(videoId);
      if (wired().awaitFanout ?? true) await published;
      else published.catch(() => undefined); // logged by the fan-out; the next change corrects it
    }),
  ];
}
