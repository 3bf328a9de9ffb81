import { VideoCreated, VideoDeleted, VideoPublished, VideoUnpublished, VideoUpdated } from '#shared/events/catalog.js';
import {
  SubscriptionCancelled,
  SubscriptionEnded,
  SubscriptionRenewed,
  SubscriptionStarted,
} from '#shared/events/entitlement.js';
import { subscribe } from '#shared/events/subscribe.js';
import { systemClock } from '#shared/ports/clock.js';
import type { Clock } from '#shared/ports/clock.js';
import type { IdentityDirectory } from '#shared/ports/identity-directory.js';
import type { Subscription } from '#shared/ports/bus.js';
import type { Table } from '#shared/ports/table.js';
import { eventVersion } from './domain/video.js';
import { planOf } from './plan.js';
import { entitlementStore } from './store.js';

export interface EntitlementSubscriberDeps {
  table: Table;
  /** Where the plan claim lives on AWS (Auth0 app_metadata); standalone the issuer reads the store. */
  directory?: IdentityDirectory;
  clock?: Clock;
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
    // The plan claim follows the subscription: the plan is recomputed from the store (not taken from
    // the event), so out-of-order deliveries still leave the directory with the current answer.
    ...[SubscriptionStarted, SubscriptionRenewed, SubscriptionCancelled, SubscriptionEnded].map((event) =>
      subscribe(`entitlement.plan-claim-${event.type}`, event, async ({ userId }) => {
        if (!deps?.directory) return;
        const clock = deps.clock ?? systemClock;
        await deps.directory.setPlan(userId, await planOf({ table: deps.table, clock })(userId));
      }),
    ),
  ];
}
