import { z } from 'zod';

const At = z.iso.datetime({ offset: true });

/**
 * The monthly unlimited plan as the provider last told us. `state` is the provider's lifecycle;
 * what the viewer sees (`subscriptionStatus`) also reads the clock, since a paid period simply
 * runs out. Times of the provider's events (`statusAt`, `cancelFlagAt`) order late deliveries.
 */
export const Subscription = z.object({
  subscriptionId: z.string(),
  userId: z.string(),
  state: z.enum(['active', 'past_due', 'ended']),
  /** Access runs until here: the end of the last paid period (epoch start when none is paid yet). */
  periodEnd: At,
  cancelAtPeriodEnd: z.boolean(),
  /** Provider time (ms) of the fact that last set `state`. */
  statusAt: z.number(),
  /** Provider (or our own cancel request's) time (ms) of the fact that last set `cancelAtPeriodEnd`. */
  cancelFlagAt: z.number(),
  startedAt: At.nullable().default(null),
  endedAt: At.nullable().default(null),
});
export type Subscription = z.infer<typeof Subscription>;

export type SubscriptionStatus = 'active' | 'cancelled' | 'past_due' | 'ended';

/** What one provider event says about a subscription; undefined fields say nothing. */
export interface SubscriptionFact {
  /** Provider event time (ms). */
  at: number;
  state?: 'active' | 'past_due' | 'ended';
  /** End of a period the provider says is paid (ms). */
  periodEnd?: number;
  cancelAtPeriodEnd?: boolean;
}

export interface SubscriptionChange {
  next: Subscription;
  /** Transitions worth an event; empty when nothing changed. */
  started: boolean;
  renewed: boolean;
  cancelled: boolean;
  ended: boolean;
  changed: boolean;
}

const NO_PERIOD = new Date(0).toISOString();

/**
 * Folds one provider fact into the subscription, whatever order facts arrive in:
 * - `ended` is terminal (a late "active" after a deletion changes nothing);
 * - the paid period only moves forward (max of the ends seen);
 * - state and the cancel flag follow the fact with the latest provider time.
 */
export function applySubscriptionFact(
  current: Subscription | undefined,
  identity: { subscriptionId: string; userId: string },
  fact: SubscriptionFact,
): SubscriptionChange {
  const base: Subscription = current ?? {
    subscriptionId: identity.subscriptionId,
    userId: identity.userId,
    state: 'active',
    periodEnd: NO_PERIOD,
    cancelAtPeriodEnd: false,
    statusAt: Number.NEGATIVE_INFINITY,
    cancelFlagAt: Number.NEGATIVE_INFINITY,
    startedAt: null,
    endedAt: null,
  };
  const unchanged = { next: base, started: false, renewed: false, cancelled: false, ended: false, changed: false };
  if (base.state === 'ended') return unchanged;
  // A fact that says nothing (a checkout naming the owner) creates no record by itself.
  const saysNothing = fact.state === undefined && fact.periodEnd === undefined && fact.cancelAtPeriodEnd === undefined;
  if (!current && saysNothing) return unchanged;

  const next: Subscription = { ...base };
  const previousEnd = Date.parse(base.periodEnd);
  if (fact.periodEnd !== undefined && fact.periodEnd > previousEnd) {
    next.periodEnd = new Date(fact.periodEnd).toISOString();
  }
  if (fact.state === 'ended') {
    next.state = 'ended';
    next.endedAt = new Date(fact.at).toISOString();
    next.statusAt = fact.at;
  } else if (fact.state !== undefined && fact.at >= base.statusAt) {
    next.state = fact.state;
    next.statusAt = fact.at;
  }
  if (fact.cancelAtPeriodEnd !== undefined && fact.at >= base.cancelFlagAt) {
    next.cancelAtPeriodEnd = fact.cancelAtPeriodEnd;
    next.cancelFlagAt = fact.at;
  }
  const hadPeriod = previousEnd > 0;
  const hasPeriod = Date.parse(next.periodEnd) > 0;
  const started = !hadPeriod && hasPeriod && next.state !== 'ended';
  if (started) next.startedAt = new Date(fact.at).toISOString();
  // JSON round trips turn -Infinity into null; keep the record storable.
  if (!Number.isFinite(next.statusAt)) next.statusAt = 0;
  if (!Number.isFinite(next.cancelFlagAt)) next.cancelFlagAt = 0;
  return {
    next,
    started,
    renewed: hadPeriod && Date.parse(next.periodEnd) > previousEnd && next.state !== 'ended',
    cancelled: !base.cancelAtPeriodEnd && next.cancelAtPeriodEnd && next.state !== 'ended',
    ended: next.state === 'ended',
    changed: JSON.stringify(next) !== JSON.stringify(current),
  };
}

/** Covers every title while not ended and before the end of the paid period (cancelled included). */
export function subscriptionCovers(subscription: Subscription, now: number): boolean {
  return subscription.state !== 'ended' && now < Date.parse(subscription.periodEnd);
}

/** The status a viewer sees: a plan whose paid period ran out is ended, a cancelled one says so. */
export function subscriptionStatus(subscription: Subscription, now: number): SubscriptionStatus {
  if (!subscriptionCovers(subscription, now)) return 'ended';
  if (subscription.cancelAtPeriodEnd) return 'cancelled';
  return subscription.state === 'past_due' ? 'past_due' : 'active';
}

/**
 * A cancelled plan can be resumed while its paid period lasts: the provider simply renews it
 * again. Once ended (or the period is over) the viewer subscribes anew instead.
 */
export function canResume(subscription: Subscription, now: number): boolean {
  return subscription.cancelAtPeriodEnd && subscriptionCovers(subscription, now);
}

/** Until when any of the viewer's plans gives access (ms), or undefined. */
export function planAccessUntil(subscriptions: readonly Subscription[], now: number): number | undefined {
  let until: number | undefined;
  for (const subscription of subscriptions) {
    if (!subscriptionCovers(subscription, now)) continue;
    const end = Date.parse(subscription.periodEnd);
    if (until === undefined || end > until) until = end;
  }
  return until;
}

/** The plan the viewer should see: the covering one ending last, else the most recent one. */
export function currentSubscription(subscriptions: readonly Subscription[], now: number): Subscription | undefined {
  const covering = subscriptions.filter((subscription) => subscriptionCovers(subscription, now));
  const pool = covering.length > 0 ? covering : subscriptions;
  return [...pool].sort((a, b) => Date.parse(b.periodEnd) - Date.parse(a.periodEnd))[0];
}
