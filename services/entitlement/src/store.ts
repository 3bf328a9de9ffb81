import { z } from 'zod';
import {
  RentalPurchased,
  RentalRefunded,
  SubscriptionCancelled,
  SubscriptionEnded,
  SubscriptionRenewed,
  SubscriptionStarted,
} from '#shared/events/entitlement.js';
import type { EventEnvelope } from '#shared/events/define.js';
import { ConditionFailedError } from '#shared/errors.js';
import { newId } from '#shared/ids.js';
import type { PaymentFact, SubscriptionPayment } from '#shared/ports/payments.js';
import { MAX_GET_MANY } from '#shared/ports/table.js';
import type { Item, Key, Table, Write } from '#shared/ports/table.js';
import { newRental, refundRental, Rental, rentalReminderAt } from './domain/rental.js';
import { applySubscriptionFact, Subscription } from './domain/subscription.js';
import type { SubscriptionFact } from './domain/subscription.js';
import { applyCatalogChange, VideoFacts } from './domain/video.js';
import { paymentEntry, refundEntry } from './domain/ledger.js';
import { ACTIVE_RENTALS, salesReport } from './sales.js';
import { ledgerRefKey, ledgerStore, paymentWrites, refundedPaymentWrites, refundWrites } from './ledger.js';
import type { CatalogChange } from './domain/video.js';

/**
 * The entitlement service's records on its own table:
 *   user#<userId>          / sub#<subscriptionId>                     a plan (all of a viewer's
 *   user#<userId>          / rental#<videoId>#<purchasedMs>#<rentalId>  rights: ONE query)
 *   subscription#<id>      / owner          which viewer a provider subscription belongs to
 *   payment#<paymentId>    / rental         the rental a payment bought (refunds find it here)
 *   payment-event#<id>     / processed      provider event ids already handled (dedupe, 30 days)
 *   video#<videoId>        / facts          the catalog's title facts (projection)
 *   sales                  / <videoId>      per-title counters (atomic adds)
 *   payments#… ledger#… ledger-ref#…        the payments ledger (ledger.ts)
 * Plans carry gsi1pk `subscriptions` / gsi1sk `<subscriptionId>` (the dashboard's subscribers).
 * Rentals still running carry gsi1pk `active-rentals` / gsi1sk `<expiresAt>#<rentalId>`, so the
 * admin's "active rentals" is one index query.
 */
export const SUBSCRIPTIONS = 'subscriptions';
const PROCESSED_TTL_S = 30 * 24 * 3600;
const RETRIES = 5;

const userKey = (userId: string) => `user#${userId}`;
const factsKey = (videoId: string): Key => ({ pk: `video#${videoId}`, sk: 'facts' });
const ownerKey = (subscriptionId: string): Key => ({ pk: `subscription#${subscriptionId}`, sk: 'owner' });
const paymentKey = (paymentId: string): Key => ({ pk: `payment#${paymentId}`, sk: 'rental' });
const processedKey = (eventId: string): Key => ({ pk: `payment-event#${eventId}`, sk: 'processed' });
const rentalSk = (rental: Rental) =>
  `rental#${rental.videoId}#${String(Date.parse(rental.purchasedAt)).padStart(15, '0')}#${rental.rentalId}`;

const Owner = z.object({ userId: z.string() });
const PaymentLink = z.object({
  userId: z.string().nullable().default(null),
  videoId: z.string().nullable().default(null),
  rentalSk: z.string().nullable().default(null),
  /** Set when the refund arrived before the payment it refunds. */
  refundedAt: z.number().nullable().default(null),
});

const strip = (item: Item) => {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _s1, rev: _rev, ...rest } = item;
  return rest;
};

export type FulfilmentOutcome =
  { outcome: 'recorded'; events: EventEnvelope[] } | { outcome: 'duplicate' } | { outcome: 'unchanged' };

export interface EntitlementStoreOptions {
  /** How long `videoFactsMany` may serve a title's facts from memory (ms); 0 = always read. */
  factsCacheMs?: number;
  now: () => number;
}

/** A viewer's rights, read in ONE query of their partition. */
export interface AccountRecords {
  subscriptions: Subscription[];
  rentals: Rental[];
}

export function entitlementStore(table: Table, options: EntitlementStoreOptions) {
  const ledger = ledgerStore(table);
  const factsCacheMs = options.factsCacheMs ?? 0;
  const cache = new Map<string, { at: number; facts: VideoFacts | undefined }>();

  async function account(userId: string): Promise<AccountRecords> {
    const subscriptions: Subscription[] = [];
    const rentals: Rental[] = [];
    let cursor: string | undefined;
    do {
      const page = await table.query({ partition: userKey(userId), limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const item of page.items) {
        if (item.sk.startsWith('sub#')) subscriptions.push(Subscription.parse(strip(item)));
        else if (item.sk.startsWith('rental#')) rentals.push(Rental.parse(strip(item)));
      }
      cursor = page.cursor;
    } while (cursor);
    return { subscriptions, rentals };
  }

  async function videoFacts(videoId: string): Promise<VideoFacts | undefined> {
    const item = await table.get(factsKey(videoId));
    const facts = item ? VideoFacts.parse(strip(item)) : undefined;
    if (factsCacheMs > 0) cache.set(videoId, { at: options.now(), facts });
    return facts;
  }

  /** Facts of many titles: from memory while fresh, the rest read in parallel. */
  async function videoFactsMany(videoIds: readonly string[]): Promise<Map<string, VideoFacts | undefined>> {
    const result = new Map<string, VideoFacts | undefined>();
    const now = options.now();
    const missing: string[] = [];
    for (const id of new Set(videoIds)) {
      const cached = factsCacheMs > 0 ? cache.get(id) : undefined;
      if (cached && now - cached.at < factsCacheMs) result.set(id, cached.facts);
      else missing.push(id);
    }
    // One batch read per 100 titles (BatchGetItem / one SQLite read transaction), not one get each.
    for (let start = 0; start < missing.length; start += MAX_GET_MANY) {
      const ids = missing.slice(start, start + MAX_GET_MANY);
      const items = await table.getMany(ids.map(factsKey));
      ids.forEach((id, index) => {
        const item = items[index];
        const facts = item ? VideoFacts.parse(strip(item)) : undefined;
        if (factsCacheMs > 0) cache.set(id, { at: now, facts });
        result.set(id, facts);
      });
    }
    if (cache.size > 20_000) cache.clear();
    return result;
  }

  /** Folds a catalog event into the facts: optimistic (rev), idempotent, ordered by version. */
  async function applyCatalog(videoId: string, change: CatalogChange, version: string): Promise<boolean> {
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const item = await table.get(factsKey(videoId));
      const current = item ? VideoFacts.parse(strip(item)) : undefined;
      const next = applyCatalogChange(current, videoId, change, version);
      if (!next) return false;
      const rev = typeof item?.rev === 'number' ? item.rev : 0;
      try {
        await table.put(
          { ...factsKey(videoId), ...next, rev: rev + 1 },
          item ? [{ kind: 'equals', attribute: 'rev', value: rev }] : [{ kind: 'notExists' }],
        );
        cache.delete(videoId);
        return true;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new ConditionFailedError(`video ${videoId} facts kept changing; the event will be redelivered`);
  }

  const processedWrite = (fact: Pick<PaymentFact, 'eventId' | 'kind' | 'at'>, at: number): Write => ({
    put: {
      ...processedKey(fact.eventId),
      kind: fact.kind,
      eventAt: fact.at,
      ttl: Math.floor(at / 1000) + PROCESSED_TTL_S,
    },
    when: [{ kind: 'notExists' }],
  });

  async function alreadyProcessed(eventId: string) {
    return (await table.get(processedKey(eventId))) !== undefined;
  }

  /** Remembers an event that changed nothing, so a replay is answered as a duplicate. */
  async function markProcessed(
    fact: Pick<PaymentFact, 'eventId' | 'kind' | 'at'>,
    now: number,
  ): Promise<FulfilmentOutcome> {
    try {
      await table.transact([processedWrite(fact, now)]);
      return { outcome: 'unchanged' };
    } catch (error) {
      if (error instanceof ConditionFailedError) return { outcome: 'duplicate' };
      throw error;
    }
  }

  /**
   * A paid rental: the rental, its payment link, the title's sales counters and the processed
   * event id commit with `RentalPurchased`, all or nothing. A second delivery of the event (or
   * another event of the same payment) records nothing more.
   */
  async function recordRental(
    fact: Extract<PaymentFact, { kind: 'rental.paid' }>,
    now: number,
    title: string | null = null,
  ): Promise<FulfilmentOutcome> {
    if (await alreadyProcessed(fact.eventId)) return { outcome: 'duplicate' };
    const linkItem = await table.get(paymentKey(fact.paymentId));
    const link = linkItem ? PaymentLink.parse(strip(linkItem)) : undefined;
    if (link?.rentalSk) return markProcessed(fact, now);
    const rental = newRental({
      rentalId: newId(fact.at),
      videoId: fact.videoId,
      paymentId: fact.paymentId,
      purchasedAt: fact.at,
      amountJpy: fact.amountJpy,
      ...(link?.refundedAt != null ? { refundedAt: link.refundedAt } : {}),
    });
    const sk = rentalSk(rental);
    const events = rental.refunded
      ? []
      : [
          RentalPurchased.create(
            {
              userId: fact.userId,
              rentalId: rental.rentalId,
              videoId: rental.videoId,
              purchasedAt: rental.purchasedAt,
              expiresAt: rental.expiresAt,
              reminderAt: new Date(rentalReminderAt(Date.parse(rental.expiresAt))).toISOString(),
            },
            now,
          ),
        ];
    const writes: Write[] = [
      processedWrite(fact, now),
      {
        put: {
          pk: userKey(fact.userId),
          sk,
          ...rental,
          userId: fact.userId,
          ...(rental.refunded ? {} : { gsi1pk: ACTIVE_RENTALS, gsi1sk: `${rental.expiresAt}#${rental.rentalId}` }),
          // Rentals stay for the account page's history and for refunds; no ttl.
        },
        when: [{ kind: 'notExists' }],
      },
      {
        put: {
          ...paymentKey(fact.paymentId),
          userId: fact.userId,
          videoId: fact.videoId,
          rentalSk: sk,
          refundedAt: link?.refundedAt ?? null,
        },
        when: linkItem
          ? [{ kind: 'equals', attribute: 'refundedAt', value: link?.refundedAt ?? null }]
          : [{ kind: 'notExists' }],
      },
      {
        update: { pk: 'sales', sk: fact.videoId },
        changes: {
          add: { purchases: 1, revenueJpy: rental.refunded ? 0 : fact.amountJpy, refunds: rental.refunded ? 1 : 0 },
        },
      },
    ];
    const entry = paymentEntry({
      line: 'rental',
      userId: fact.userId,
      providerRef: fact.paymentId,
      at: fact.at,
      amountJpy: fact.amountJpy,
      videoId: fact.videoId,
      title,
    });
    if (link?.refundedAt != null) {
      const refunded = refundEntry(entry, { providerRef: fact.paymentId, at: link.refundedAt });
      writes.push(...refundedPaymentWrites(refunded.payment, refunded.refund));
    } else if (!(await table.get(ledgerRefKey(fact.paymentId)))) {
      writes.push(...paymentWrites(entry));
    }
    try {
      await table.transact(writes, { events });
      return { outcome: 'recorded', events };
    } catch (error) {
      // A concurrent delivery of the same event or payment won the race: nothing more to do.
      if (error instanceof ConditionFailedError) return { outcome: 'duplicate' };
      throw error;
    }
  }

  /** A refund ends the rental at once; a refund ahead of its payment is remembered for it. */
  async function recordRefund(
    fact: Extract<PaymentFact, { kind: 'rental.refunded' }>,
    now: number,
  ): Promise<FulfilmentOutcome> {
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      if (await alreadyProcessed(fact.eventId)) return { outcome: 'duplicate' };
      const linkItem = await table.get(paymentKey(fact.paymentId));
      const link = linkItem ? PaymentLink.parse(strip(linkItem)) : undefined;
      try {
        const paid = await ledger.byProviderRef(fact.paymentId);
        const ledgerRefund =
          paid && paid.status === 'paid'
            ? (() => {
                const { refund, payment } = refundEntry(paid, {
                  providerRef: fact.paymentId,
                  at: fact.at,
                  ...(fact.amountJpy !== undefined ? { amountJpy: fact.amountJpy } : {}),
                });
                return refundWrites(refund, payment);
              })()
            : [];
        if (paid?.line === 'subscription') {
          // A plan payment given back: the ledger says so; the plan itself follows the provider's
          // subscription events (a refund alone does not end it).
          if (ledgerRefund.length === 0) return await markProcessed(fact, now);
          await table.transact([processedWrite(fact, now), ...ledgerRefund]);
          return { outcome: 'recorded', events: [] };
        }
        if (!link?.rentalSk || !link.userId || !link.videoId) {
          // The refund came first: the payment, when it arrives, is recorded as refunded.
          if (link?.refundedAt != null) return await markProcessed(fact, now);
          await table.transact([
            processedWrite(fact, now),
            { put: { ...paymentKey(fact.paymentId), refundedAt: fact.at }, when: [{ kind: 'notExists' }] },
          ]);
          return { outcome: 'unchanged' };
        }
        const key = { pk: userKey(link.userId), sk: link.rentalSk };
        const item = await table.get(key);
        if (!item) throw new Error(`payment ${fact.paymentId} links to a missing rental`);
        const rental = Rental.parse(strip(item));
        if (rental.refunded) return await markProcessed(fact, now);
        const refunded = refundRental(rental, fact.at);
        const events = [
          RentalRefunded.create({ userId: link.userId, rentalId: rental.rentalId, videoId: rental.videoId }, now),
        ];
        await table.transact(
          [
            processedWrite(fact, now),
            {
              update: key,
              changes: { set: { refunded: true, refundedAt: refunded.refundedAt }, remove: ['gsi1pk', 'gsi1sk'] },
              when: [{ kind: 'equals', attribute: 'refunded', value: false }],
            },
            { update: paymentKey(fact.paymentId), changes: { set: { refundedAt: fact.at } } },
            {
              update: { pk: 'sales', sk: rental.videoId },
              changes: { add: { refunds: 1, revenueJpy: -rental.amountJpy } },
            },
            ...ledgerRefund,
          ],
          { events },
        );
        return { outcome: 'recorded', events };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    return { outcome: 'duplicate' };
  }

  async function ownerOf(subscriptionId: string): Promise<string | undefined> {
    const item = await table.get(ownerKey(subscriptionId));
    return item ? Owner.parse(item).userId : undefined;
  }

  /**
   * Folds a provider fact into the viewer's plan, optimistically (rev) so concurrent deliveries
   * serialise; the transitions (started, renewed, cancelled, ended) commit their events with it.
   * Returns undefined when the owner is not known yet (the provider redelivers later).
   */
  async function applySubscription(
    input: {
      eventId?: string;
      subscriptionId: string;
      userId?: string;
      fact: SubscriptionFact;
      payment?: SubscriptionPayment;
    },
    now: number,
  ): Promise<FulfilmentOutcome | undefined> {
    const processed = input.eventId
      ? ({ eventId: input.eventId, at: input.fact.at, kind: 'subscription' } as const)
      : undefined;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      if (processed && (await alreadyProcessed(processed.eventId))) return { outcome: 'duplicate' };
      const knownOwner = await ownerOf(input.subscriptionId);
      const userId = knownOwner ?? input.userId;
      if (!userId) return undefined;
      const key = { pk: userKey(userId), sk: `sub#${input.subscriptionId}` };
      const item = await table.get(key);
      const current = item ? Subscription.parse(strip(item)) : undefined;
      const change = applySubscriptionFact(current, { subscriptionId: input.subscriptionId, userId }, input.fact);
      const writes: Write[] = processed ? [processedWrite(processed, now)] : [];
      if (!knownOwner) {
        writes.push({ put: { ...ownerKey(input.subscriptionId), userId }, when: [{ kind: 'notExists' }] });
      }
      const events: EventEnvelope[] = [];
      if (change.changed) {
        const rev = typeof item?.rev === 'number' ? item.rev : 0;
        writes.push({
          put: { ...key, ...change.next, gsi1pk: SUBSCRIPTIONS, gsi1sk: input.subscriptionId, rev: rev + 1 },
          when: item ? [{ kind: 'equals', attribute: 'rev', value: rev }] : [{ kind: 'notExists' }],
        });
        const detail = { userId, subscriptionId: input.subscriptionId, periodEnd: change.next.periodEnd };
        if (change.started) events.push(SubscriptionStarted.create(detail, now));
        if (change.renewed) events.push(SubscriptionRenewed.create(detail, now));
        if (change.cancelled) events.push(SubscriptionCancelled.create(detail, now));
        if (change.ended && current?.state !== 'ended') {
          events.push(SubscriptionEnded.create({ userId, subscriptionId: input.subscriptionId }, now));
        }
      }
      let paymentRecorded = false;
      if (input.payment && !(await table.get(ledgerRefKey(input.payment.invoiceId)))) {
        const entry = paymentEntry({
          line: 'subscription',
          userId,
          providerRef: input.payment.invoiceId,
          at: input.fact.at,
          amountJpy: input.payment.amountJpy,
          subscriptionId: input.subscriptionId,
          billing: input.payment.billing,
          periodEnd: change.changed ? change.next.periodEnd : (current?.periodEnd ?? null),
        });
        writes.push(...paymentWrites(entry, input.payment.paymentIntentId ? [input.payment.paymentIntentId] : []));
        paymentRecorded = true;
      }
      if (writes.length === 0) return { outcome: 'unchanged' };
      try {
        await table.transact(writes, { events });
        return change.changed || paymentRecorded ? { outcome: 'recorded', events } : { outcome: 'unchanged' };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new ConditionFailedError(`subscription ${input.subscriptionId} kept changing; retry`);
  }

  return {
    ledger,
    account,
    videoFacts,
    videoFactsMany,
    applyCatalog,
    recordRental,
    recordRefund,
    applySubscription,
    ownerOf,
    markProcessed,
    alreadyProcessed,
    sales: (now: number) => salesReport(table, videoFactsMany, now),
  };
}

export type EntitlementStore = ReturnType<typeof entitlementStore>;
export type { SalesReport } from './sales.js';
