import { createHash } from 'node:crypto';
import { z } from 'zod';

const At = z.iso.datetime({ offset: true });

/**
 * The notification service's copy of one rental, kept from entitlement's events
 * (`RentalPurchased`, `RentalRefunded`). A refund that arrives first leaves a tombstone with
 * `refunded: true`, which the purchase, arriving later, never undoes.
 */
export const RentalFacts = z.object({
  userId: z.string(),
  rentalId: z.string(),
  videoId: z.string(),
  purchasedAt: At.nullable(),
  expiresAt: At.nullable(),
  reminderAt: At.nullable(),
  refunded: z.boolean(),
});
export type RentalFacts = z.infer<typeof RentalFacts>;

/** A subscription's last known state, from entitlement's Subscription* events. */
export const PlanFacts = z.object({ periodEnd: At.nullable(), ended: z.boolean(), eventAt: At });
export type PlanFacts = z.infer<typeof PlanFacts>;

export const LANGUAGES = ['ja', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** An IANA zone this runtime knows (Intl throws on anything else). */
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Asia/Tokyo');

/** How to reach a viewer: stored on the notification service's own record of the account. */
export const Contact = z.object({
  email: z.email().nullable().default(null),
  language: z.enum(LANGUAGES).default('ja'),
  timeZone: TimeZone.default('Asia/Tokyo'),
  remindersOff: z.boolean().default(false),
  closedAt: At.nullable().default(null),
});
export type Contact = z.infer<typeof Contact>;

/**
 * One schedule per viewer and title, so a repurchase replaces the earlier window's reminder: the
 * viewer may watch until the latest purchase ends, and only that end deserves a warning. Hashed
 * to fit EventBridge's 64-character name limit.
 */
export function reminderScheduleName(userId: string, videoId: string): string {
  const digest = createHash('sha256').update(`${userId}\n${videoId}`).digest('hex').slice(0, 40);
  return `rental-reminder-${digest}`;
}

/** The event id a firing carries: stable per rental and attempt, so duplicate firings dedupe. */
export const reminderEventId = (rentalId: string, attempt: number) =>
  attempt === 0 ? `rental-reminder-${rentalId}` : `rental-reminder-${rentalId}-retry-${attempt}`;

const ms = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

/** Watchable iff purchased, not refunded and not yet at its end (the same rule entitlement keeps). */
export const isRunning = (rental: RentalFacts, now: number) =>
  !rental.refunded && rental.expiresAt !== null && ms(rental.purchasedAt) <= now && now < ms(rental.expiresAt);

/**
 * The rental whose end deserves the reminder for one title: the running one ending last that has
 * not had its reminder (`done` lists rentals already reminded or given up on). Undefined: none.
 */
export function decisiveRental(
  rentals: readonly RentalFacts[],
  now: number,
  done: ReadonlySet<string>,
): RentalFacts | undefined {
  let best: RentalFacts | undefined;
  for (const rental of rentals) {
    if (!isRunning(rental, now)) continue;
    if (!best || ms(rental.expiresAt) > ms(best.expiresAt)) best = rental;
  }
  return best && !done.has(best.rentalId) ? best : undefined;
}

/** True while a subscription's paid period covers `now` (a cancelled one runs to its period end). */
export const onUnlimitedPlan = (plans: readonly PlanFacts[], now: number) =>
  plans.some((plan) => !plan.ended && plan.periodEnd !== null && now < ms(plan.periodEnd));

export type SkipReason =
  | 'rental_missing'
  | 'refunded'
  | 'expired'
  | 'superseded'
  | 'account_closed'
  | 'unlimited_plan'
  | 'unsubscribed'
  | 'no_address'
  | 'suppressed';

/**
 * Whether a reminder that came due may be sent, from the facts re-read at that moment. Order
 * matters only for the reason recorded: each of these alone means "send nothing".
 */
export function reminderDecision(input: {
  rental: RentalFacts | undefined;
  sameTitle: readonly RentalFacts[];
  contact: Contact | undefined;
  plans: readonly PlanFacts[];
  now: number;
}): { send: true; email: string } | { send: false; reason: Exclude<SkipReason, 'suppressed'> } {
  const { rental, contact, now } = input;
  if (!rental || rental.expiresAt === null) return { send: false, reason: 'rental_missing' };
  if (rental.refunded) return { send: false, reason: 'refunded' };
  if (!isRunning(rental, now)) return { send: false, reason: 'expired' };
  const later = input.sameTitle.some(
    (other) =>
      other.rentalId !== rental.rentalId && isRunning(other, now) && ms(other.expiresAt) > ms(rental.expiresAt),
  );
  if (later) return { send: false, reason: 'superseded' };
  if (contact?.closedAt) return { send: false, reason: 'account_closed' };
  if (onUnlimitedPlan(input.plans, now)) return { send: false, reason: 'unlimited_plan' };
  if (contact?.remindersOff) return { send: false, reason: 'unsubscribed' };
  if (!contact?.email) return { send: false, reason: 'no_address' };
  return { send: true, email: contact.email };
}

/** Retries of a refused or timed-out send: 1 min, 5 min, 25 min, 2 h; then a dead letter. */
export const MAX_SEND_ATTEMPTS = 5;
export const sendRetryDelayMs = (attempt: number) => Math.min(60_000 * 5 ** (attempt - 1), 6 * 3600_000);
