import {
  VideoCreated,
  VideoDeleted,
  VideoPublished,
  VideoUnpublished,
  VideoUpdated,
} from '../../../shared/events/catalog.js';
import { subscribe } from '../../../shared/events/subscribe.js';
import type { Subscription } from '../../../shared/ports/bus.js';
import type { Table } from '../../../shared/ports/table.js';
import { eventVersion } from './domain/video.js';
import { entitlementStore } from './store.js';

export interface EntitlementSubscriberDeps {
  table: Table;
}

/**
 * The events the entitlement service consumes; infra turns this list into bus rules. The catalog's
 * title events keep `video#<id>/facts` current (price, free preview, published, deleted), ordered
 * by event time and idempotent, so checkout and playback never call the catalog.
 *
 * Infra calls this without deps only to read names and events; handlers then need a table.
 */
export function entitlementSubscriptions(deps?: EntitlementSubscriberDeps): Subscription[] {
  const store = () => {
    if (!deps) throw new Error('entitlement subscribers need a table');
    return entitlementStore(deps.table, { now: Date.now });
  };
  const facts = (detail: { title: string; priceJpy: number; freePreview: boolean }, published?: boolean) => ({
    kind: 'facts' as const,
    title: detail.title,
    priceJpy: detail.priceJpy,
    freePreview: detail.freePreview,
    ...(published === undefined ? {} : { published }),
  });
  return [
    subscribe('entitlement.video-created', VideoCreated, async (detail, envelope) => {
      await store().applyCatalog(detail.videoId, facts(detail, false), eventVersion(envelope.time, envelope.id));
    }),
    subscribe('entitlement.video-updated', VideoUpdated, async (detail, envelope) => {
      await store().applyCatalog(detail.videoId, facts(detail), eventVersion(envelope.time, envelope.id));
    }),
    subscribe('entitlement.video-published', VideoPublished, async (detail, envelope) => {
      await store().applyCatalog(detail.videoId, facts(detail, true), eventVersion(envelope.time, envelope.id));
    }),
    subscribe('entitlement.video-unpublished', VideoUnpublished, async (detail, envelope) => {
      await store().applyCatalog(detail.videoId, { kind: 'unpublished' }, eventVersion(envelope.time, envelope.id));
    }),
    subscribe('entitlement.video-deleted', VideoDeleted, async (detail, envelope) => {
      await store().applyCatalog(detail.videoId, { kind: 'deleted' }, eventVersion(envelope.time, envelope.id));
    }),
  ];
}
