import { z } from 'zod';
import { ConditionFailedError } from '#shared/errors.js';
import type { Item, Key, Table } from '#shared/ports/table.js';
import { Contact, PlanFacts, RentalFacts } from './domain/reminder.js';
import type { SkipReason } from './domain/reminder.js';

/**
 * The notification service's records on its own table (a projection of entitlement's and the
 * catalog's events, plus what it sent):
 *   user#<userId>      / contact                      email, language, time zone, opt-out, closed
 *   user#<userId>      / rental#<videoId>#<rentalId>  a rental's facts (one query per title)
 *   user#<userId>      / sub#<subscriptionId>         a plan's period (the unlimited check)
 *   video#<videoId>    / title                        the title's name, newest event wins
 *   reminder#<rentalId>/ delivery                     what happened to that rental's reminder
 *   suppressed#<email> / address                      never mail it (hard bounce, complaint)
 * Rentals whose reminder is still to come carry gsi1pk `reminders-pending` / gsi1sk
 * `<expiresAt>#<userId>#<videoId>`, so the failover reconciliation is one index query; dead
 * letters carry gsi1pk `reminders-dead`.
 */
export const PENDING = 'reminders-pending';
export const DEAD = 'reminders-dead';
const RETRIES = 5;

const userKey = (userId: string) => `user#${userId}`;
const contactKey = (userId: string): Key => ({ pk: userKey(userId), sk: 'contact' });
const rentalKey = (userId: string, videoId: string, rentalId: string): Key => ({
  pk: userKey(userId),
  sk: `rental#${videoId}#${rentalId}`,
});
const titleKey = (videoId: string): Key => ({ pk: `video#${videoId}`, sk: 'title' });
const deliveryKey = (rentalId: string): Key => ({ pk: `reminder#${rentalId}`, sk: 'delivery' });
/** NFKC then lower case, as accounts normalise addresses. */
export const normaliseAddress = (address: string) => address.normalize('NFKC').trim().toLowerCase();
const suppressionKey = (address: string): Key => ({ pk: `suppressed#${normaliseAddress(address)}`, sk: 'address' });

export const SUPPRESSION_REASONS = ['bounce', 'complaint', 'manual'] as const;

export const Delivery = z.object({
  rentalId: z.string(),
  userId: z.string(),
  videoId: z.string(),
  state: z.enum(['sending', 'sent', 'skipped', 'failed', 'dead']),
  attempts: z.number().int().nonnegative(),
  /** While `sending`: another firing waits until then before it may take over. */
  leaseUntil: z.number().default(0),
  reason: z.string().nullable().default(null),
  lastError: z.string().nullable().default(null),
  messageId: z.string().nullable().default(null),
  to: z.string().nullable().default(null),
  subject: z.string().nullable().default(null),
  language: z.string().nullable().default(null),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Delivery = z.infer<typeof Delivery>;

const strip = (item: Item) => {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
  return rest;
};
const iso = (ms: number) => new Date(ms).toISOString();

export function notificationStore(table: Table) {
  async function contact(userId: string): Promise<Contact | undefined> {
    const item = await table.get(contactKey(userId));
    return item ? Contact.parse(strip(item)) : undefined;
  }

  async function updateContact(userId: string, changes: Partial<Contact>): Promise<Contact> {
    const current = (await contact(userId)) ?? Contact.parse({});
    const next = Contact.parse({ ...current, ...changes });
    await table.put({ ...contactKey(userId), ...next });
    return next;
  }

  async function titleRentals(userId: string, videoId: string): Promise<RentalFacts[]> {
    const rentals: RentalFacts[] = [];
    let cursor: string | undefined;
    do {
      const page = await table.query({
        partition: userKey(userId),
        sort: { beginsWith: `rental#${videoId}#` },
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      rentals.push(...page.items.map((item) => RentalFacts.parse(strip(item))));
      cursor = page.cursor;
    } while (cursor);
    return rentals;
  }

  /** The titles a viewer has rentals of (for account closure). */
  async function rentedTitles(userId: string): Promise<string[]> {
    const titles = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await table.query({
        partition: userKey(userId),
        sort: { beginsWith: 'rental#' },
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) titles.add(RentalFacts.parse(strip(item)).videoId);
      cursor = page.cursor;
    } while (cursor);
    return [...titles];
  }

  async function rental(userId: string, videoId: string, rentalId: string): Promise<RentalFacts | undefined> {
    const item = await table.get(rentalKey(userId, videoId, rentalId));
    return item ? RentalFacts.parse(strip(item)) : undefined;
  }

  /** Folds a purchase or a refund into the rental's facts; a refund is never undone. */
  async function applyRental(facts: RentalFacts): Promise<RentalFacts> {
    const key = rentalKey(facts.userId, facts.videoId, facts.rentalId);
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const item = await table.get(key);
      const current = item ? RentalFacts.parse(strip(item)) : undefined;
      const next: RentalFacts = {
        ...facts,
        purchasedAt: facts.purchasedAt ?? current?.purchasedAt ?? null,
        expiresAt: facts.expiresAt ?? current?.expiresAt ?? null,
        reminderAt: facts.reminderAt ?? current?.reminderAt ?? null,
        refunded: facts.refunded || (current?.refunded ?? false),
      };
      const pending = !next.refunded && next.expiresAt !== null;
      try {
        await table.put(
          {
            ...key,
            ...next,
            rev: (typeof item?.rev === 'number' ? item.rev : 0) + 1,
            ...(pending
              ? { gsi1pk: PENDING, gsi1sk: `${next.expiresAt}#${next.userId}#${next.videoId}#${next.rentalId}` }
              : {}),
          },
          item
            ? [{ kind: 'equals', attribute: 'rev', value: typeof item.rev === 'number' ? item.rev : 0 }]
            : [{ kind: 'notExists' }],
        );
        return next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new ConditionFailedError(`rental ${facts.rentalId} kept changing; the event will be redelivered`);
  }

  /** The reminder of this rental is settled (sent or given up): reconciliation skips it. */
  async function settleRental(userId: string, videoId: string, rentalId: string): Promise<void> {
    const key = rentalKey(userId, videoId, rentalId);
    if (await table.get(key)) await table.update(key, { remove: ['gsi1pk', 'gsi1sk'] }, [{ kind: 'exists' }]);
  }

  async function plans(userId: string): Promise<PlanFacts[]> {
    const page = await table.query({ partition: userKey(userId), sort: { beginsWith: 'sub#' }, limit: 100 });
    return page.items.map((item) => PlanFacts.parse(strip(item)));
  }

  /** Keeps a subscription's newest state (by event time; an older delivery changes nothing). */
  async function applyPlan(userId: string, subscriptionId: string, facts: PlanFacts): Promise<void> {
    const key = { pk: userKey(userId), sk: `sub#${subscriptionId}` };
    try {
      await table.put({ ...key, ...facts, order: Date.parse(facts.eventAt) }, [
        { kind: 'lessThan', attribute: 'order', value: Date.parse(facts.eventAt) + 1 },
      ]);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      if (!(await table.get(key))) await table.put({ ...key, ...facts, order: Date.parse(facts.eventAt) });
    }
  }

  async function title(videoId: string): Promise<string | undefined> {
    const item = await table.get(titleKey(videoId));
    return typeof item?.title === 'string' ? item.title : undefined;
  }

  /** Keeps the title's newest name; `version` orders events (time, then id). */
  async function applyTitle(videoId: string, name: string, version: string): Promise<void> {
    const current = await table.get(titleKey(videoId));
    if (typeof current?.version === 'string' && current.version >= version) return;
    await table.put({ ...titleKey(videoId), title: name, version });
  }

  async function delivery(rentalId: string): Promise<Delivery | undefined> {
    const item = await table.get(deliveryKey(rentalId));
    return item ? Delivery.parse(strip(item)) : undefined;
  }

  /**
   * Takes the right to send this rental's reminder: first come, or after a failed attempt, or
   * after a stale lease (a sender that crashed). Returns the claimed record, or the existing one
   * when the reminder is already settled or another sender holds a live lease.
   */
  async function claim(
    ref: { rentalId: string; userId: string; videoId: string },
    now: number,
    leaseMs: number,
  ): Promise<{ claimed: true; delivery: Delivery } | { claimed: false; delivery: Delivery }> {
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const current = await delivery(ref.rentalId);
      if (current && (current.state === 'sent' || current.state === 'skipped' || current.state === 'dead')) {
        return { claimed: false, delivery: current };
      }
      if (current?.state === 'sending' && current.leaseUntil > now) return { claimed: false, delivery: current };
      const next: Delivery = Delivery.parse({
        ...ref,
        ...(current ?? {}),
        state: 'sending',
        attempts: current?.attempts ?? 0,
        leaseUntil: now + leaseMs,
        updatedAt: iso(now),
      });
      try {
        await table.put(
          { ...deliveryKey(ref.rentalId), ...next },
          current
            ? [
                { kind: 'equals', attribute: 'state', value: current.state },
                { kind: 'equals', attribute: 'updatedAt', value: current.updatedAt },
              ]
            : [{ kind: 'notExists' }],
        );
        return { claimed: true, delivery: next };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new ConditionFailedError(`the reminder of rental ${ref.rentalId} is contended`);
  }

  /** Writes a delivery's outcome; `dead` ones are listed for admins. */
  async function record(next: Delivery): Promise<void> {
    await table.put({
      ...deliveryKey(next.rentalId),
      ...next,
      ...(next.state === 'dead' ? { gsi1pk: DEAD, gsi1sk: `${next.updatedAt}#${next.rentalId}` } : {}),
    });
  }

  async function skip(
    ref: { rentalId: string; userId: string; videoId: string },
    reason: SkipReason,
    now: number,
  ): Promise<void> {
    const current = await delivery(ref.rentalId);
    if (current?.state === 'sent') return;
    await record(
      Delivery.parse({
        ...ref,
        ...(current ?? {}),
        attempts: current?.attempts ?? 0,
        state: 'skipped',
        reason,
        leaseUntil: 0,
        updatedAt: iso(now),
      }),
    );
  }

  /** Adds an address to the suppression list; the first reason is kept. */
  async function suppress(address: string, reason: (typeof SUPPRESSION_REASONS)[number], at: number) {
    try {
      await table.put({ ...suppressionKey(address), reason, at: iso(at) }, [{ kind: 'notExists' }]);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  async function isSuppressed(address: string): Promise<boolean> {
    return (await table.get(suppressionKey(address))) !== undefined;
  }

  async function deadLetters(): Promise<Delivery[]> {
    const page = await table.query({ partition: DEAD, index: 'gsi1', descending: true, limit: 100 });
    return page.items.map((item) => Delivery.parse(strip(item)));
  }

  /** Rentals whose reminder has not been settled and whose window has not ended, a page at a time. */
  async function pendingRentals(now: number, cursor?: string) {
    const page = await table.query({
      partition: PENDING,
      index: 'gsi1',
      sort: { gte: iso(now) },
      limit: 500,
      ...(cursor ? { cursor } : {}),
    });
    return { rentals: page.items.map((item) => RentalFacts.parse(strip(item))), cursor: page.cursor };
  }

  return {
    contact,
    updateContact,
    titleRentals,
    rentedTitles,
    rental,
    applyRental,
    settleRental,
    plans,
    applyPlan,
    title,
    applyTitle,
    delivery,
    claim,
    record,
    skip,
    suppress,
    isSuppressed,
    deadLetters,
    pendingRentals,
  };
}

export type NotificationStore = ReturnType<typeof notificationStore>;
