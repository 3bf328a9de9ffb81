import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '#shared/errors.js';
import { RentalReminderDue } from '#shared/events/notification.js';
import type { EventDetail } from '#shared/events/define.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Mailer } from '#shared/ports/mailer.js';
import type { Scheduler } from '#shared/ports/scheduler.js';
import type { Table } from '#shared/ports/table.js';
import { formatExpiry, renderReminder } from './domain/reminder-email.js';
import {
  decisiveRental,
  MAX_SEND_ATTEMPTS,
  reminderDecision,
  reminderEventId,
  reminderScheduleName,
  sendRetryDelayMs,
} from './domain/reminder.js';
import type { RentalFacts, SkipReason } from './domain/reminder.js';
import { notificationStore } from './store.js';
import type { SUPPRESSION_REASONS } from './store.js';
import type { Delivery } from './store.js';

export interface ReminderDeps {
  table: Table;
  scheduler: Scheduler;
  mailer: Mailer;
  clock: Clock;
  /** The site's origin, for the link to the title and the unsubscribe link. */
  siteOrigin: string;
  /** Where the unsubscribe link points (an API origin; the site's by default). */
  apiOrigin?: string;
  /**
   * Signs one-click unsubscribe links (HMAC-SHA256): the key, or how to read it (AWS reads a
   * Secrets Manager value that may still be empty: then sends fail and retry, unsubscribes 503).
   */
  unsubscribeSecret: string | (() => Promise<string | undefined>);
  logger?: Logger;
  /** How long a sender may hold a reminder before another firing may take over (default 2 min). */
  leaseMs?: number;
}

export type ReminderOutcome =
  | { outcome: 'sent'; messageId: string }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'duplicate' }
  | { outcome: 'busy' }
  | { outcome: 'retrying'; attempts: number; at: string }
  | { outcome: 'dead'; attempts: number };

type Due = EventDetail<typeof RentalReminderDue>;

/** A one-click unsubscribe token: the viewer's id and its HMAC; nothing to store, nothing to guess. */
export function unsubscribeTokens(secret: ReminderDeps['unsubscribeSecret']) {
  const key = async () => {
    const value = typeof secret === 'string' ? secret : await secret();
    if (!value) throw new AppError('unavailable', 'unsubscribe links are not configured yet (an empty secret)');
    return value;
  };
  const mac = async (userId: string) =>
    createHmac('sha256', await key())
      .update(`unsubscribe\n${userId}`)
      .digest('base64url')
      .slice(0, 32);
  return {
    sign: async (userId: string) => `${Buffer.from(userId).toString('base64url')}.${await mac(userId)}`,
    /** The viewer the token was made for, or undefined when it is not one of ours. */
    async verify(token: string): Promise<string | undefined> {
      const [encoded, signature] = token.split('.');
      if (!encoded || !signature) return undefined;
      const userId = Buffer.from(encoded, 'base64url').toString('utf8');
      const expected = Buffer.from(await mac(userId));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given) ? userId : undefined;
    },
  };
}

/**
 * The rental reminder, start to end: planning one schedule per viewer and title from the
 * projected rentals, deciding at firing time from facts re-read then, sending once, retrying a
 * refused send with back-off through the same scheduler, and rebuilding schedules after a failover.
 */
export function rentalReminders(deps: ReminderDeps) {
  const store = notificationStore(deps.table);
  const logger = deps.logger ?? silentLogger;
  const now = () => deps.clock.now();
  const leaseMs = deps.leaseMs ?? 120_000;
  const tokens = unsubscribeTokens(deps.unsubscribeSecret);
  const site = deps.siteOrigin.replace(/\/$/, '');
  const api = (deps.apiOrigin ?? deps.siteOrigin).replace(/\/$/, '');

  const dueEvent = (rental: RentalFacts, attempt: number, at: number) =>
    RentalReminderDue.create(
      { userId: rental.userId, rentalId: rental.rentalId, videoId: rental.videoId, expiresAt: rental.expiresAt! },
      at,
      reminderEventId(rental.rentalId, attempt),
    );

  /**
   * Brings the one schedule of a viewer's title in line with the facts: at the reminder time of the
   * running rental that ends last, or none. A reminder time already past is handled at once.
   */
  async function planTitle(userId: string, videoId: string): Promise<ReminderOutcome | 'scheduled' | 'cancelled'> {
    const at = now();
    const name = reminderScheduleName(userId, videoId);
    const contact = await store.contact(userId);
    const rentals = await store.titleRentals(userId, videoId);
    const done = new Set<string>();
    for (const rental of rentals) {
      const delivery = await store.delivery(rental.rentalId);
      // A failed send stays decisive: planning it again retries it now (its time is past).
      if (delivery && ['sent', 'skipped', 'dead'].includes(delivery.state)) done.add(rental.rentalId);
    }
    const rental = contact?.closedAt ? undefined : decisiveRental(rentals, at, done);
    if (!rental?.reminderAt) {
      await deps.scheduler.cancel(name);
      return 'cancelled';
    }
    const reminderAt = Date.parse(rental.reminderAt);
    if (reminderAt <= at) {
      // Late (an event delayed past its time, or a failover): the schedule would fire now anyway.
      await deps.scheduler.cancel(name);
      return remind(dueEvent(rental, 0, at).detail);
    }
    await deps.scheduler.at(name, reminderAt, dueEvent(rental, 0, at));
    return 'scheduled';
  }

  async function send(due: Due, rental: RentalFacts, email: string, claimed: Delivery): Promise<ReminderOutcome> {
    const contact = (await store.contact(due.userId))!;
    const title = (await store.title(due.videoId)) ?? due.videoId;
    const attempts = claimed.attempts + 1;
    const at = now();
    try {
      const rendered = renderReminder(contact.language, {
        title,
        expiresAt: formatExpiry(Date.parse(rental.expiresAt!), contact.language, contact.timeZone),
        watchUrl: `${site}/videos/${encodeURIComponent(due.videoId)}`,
        unsubscribeUrl: `${api}/api/notification/unsubscribe?token=${await tokens.sign(due.userId)}`,
      });
      const { messageId } = await deps.mailer.send({
        id: `rental-reminder-${due.rentalId}`,
        to: email,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        template: rendered.template,
        headers: {
          'List-Unsubscribe': `<${rendered.template.data.unsubscribeUrl}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
      await store.record({
        ...claimed,
        state: 'sent',
        attempts,
        leaseUntil: 0,
        messageId,
        to: email,
        subject: rendered.subject,
        language: contact.language,
        lastError: null,
        updatedAt: new Date(now()).toISOString(),
      });
      await store.settleRental(due.userId, due.videoId, due.rentalId);
      logger.info('rental reminder sent', { rentalId: due.rentalId, messageId });
      return { outcome: 'sent', messageId };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const dead = attempts >= MAX_SEND_ATTEMPTS;
      await store.record({
        ...claimed,
        state: dead ? 'dead' : 'failed',
        attempts,
        leaseUntil: 0,
        lastError: message.slice(0, 500),
        updatedAt: new Date(at).toISOString(),
      });
      if (dead) {
        logger.error('rental reminder is a dead letter', { rentalId: due.rentalId, attempts, err: error });
        return { outcome: 'dead', attempts };
      }
      const retryAt = at + sendRetryDelayMs(attempts);
      await deps.scheduler.at(reminderScheduleName(due.userId, due.videoId), retryAt, dueEvent(rental, attempts, at));
      logger.warn('rental reminder send failed; retrying', { rentalId: due.rentalId, attempts, err: error });
      return { outcome: 'retrying', attempts, at: new Date(retryAt).toISOString() };
    }
  }

  /** A reminder came due: re-read the facts, then send at most once. */
  async function remind(due: Due): Promise<ReminderOutcome> {
    const at = now();
    const ref = { rentalId: due.rentalId, userId: due.userId, videoId: due.videoId };
    const existing = await store.delivery(due.rentalId);
    if (existing && ['sent', 'skipped', 'dead'].includes(existing.state)) return { outcome: 'duplicate' };
    const rental = await store.rental(due.userId, due.videoId, due.rentalId);
    const decision = reminderDecision({
      rental,
      sameTitle: await store.titleRentals(due.userId, due.videoId),
      contact: await store.contact(due.userId),
      plans: await store.plans(due.userId),
      now: at,
    });
    const reason: SkipReason | undefined = !decision.send
      ? decision.reason
      : (await store.isSuppressed(decision.email))
        ? 'suppressed'
        : undefined;
    if (reason !== undefined || !decision.send || !rental) {
      // A missing rental is recorded too, so a redelivery of the same firing is a duplicate.
      if (reason === 'rental_missing') logger.warn('reminder for a rental that does not exist; nothing sent', ref);
      await store.skip(ref, reason ?? 'rental_missing', at);
      if (rental) await store.settleRental(due.userId, due.videoId, due.rentalId);
      return { outcome: 'skipped', reason: reason ?? 'rental_missing' };
    }
    const claim = await store.claim(ref, at, leaseMs);
    if (!claim.claimed) return claim.delivery.state === 'sending' ? { outcome: 'busy' } : { outcome: 'duplicate' };
    return send(due, rental, decision.email, claim.delivery);
  }

  /** An admin sends a dead letter again: fresh attempts, at once. */
  async function retryDead(rentalId: string): Promise<ReminderOutcome | undefined> {
    const dead = await store.delivery(rentalId);
    if (dead?.state !== 'dead') return undefined;
    await store.record({ ...dead, state: 'failed', attempts: 0, updatedAt: new Date(now()).toISOString() });
    const rental = await store.rental(dead.userId, dead.videoId, rentalId);
    return remind({
      userId: dead.userId,
      rentalId,
      videoId: dead.videoId,
      expiresAt: rental?.expiresAt ?? new Date(0).toISOString(),
    });
  }

  /**
   * After a regional failover the lost region's schedules are gone; the projected rentals are
   * replicated. Re-plans every viewer's title that still has a reminder to come: idempotent, since
   * the schedules keep their names.
   */
  async function reconcile(): Promise<{ titles: number; scheduled: number; sentNow: number; cancelled: number }> {
    const at = now();
    const seen = new Set<string>();
    const counts = { titles: 0, scheduled: 0, sentNow: 0, cancelled: 0 };
    let cursor: string | undefined;
    do {
      const page = await store.pendingRentals(at, cursor);
      for (const rental of page.rentals) {
        const key = `${rental.userId}\n${rental.videoId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        counts.titles++;
        const result = await planTitle(rental.userId, rental.videoId);
        if (result === 'scheduled') counts.scheduled++;
        else if (result === 'cancelled') counts.cancelled++;
        else if (result.outcome === 'sent') counts.sentNow++;
      }
      cursor = page.cursor;
    } while (cursor);
    return counts;
  }

  /** Never mail this address again (an SES bounce or complaint, or an admin's word). */
  const suppress = (address: string, reason: (typeof SUPPRESSION_REASONS)[number]) =>
    store.suppress(address, reason, now());

  return { store, tokens, planTitle, remind, retryDead, reconcile, suppress };
}

export type RentalReminders = ReturnType<typeof rentalReminders>;
