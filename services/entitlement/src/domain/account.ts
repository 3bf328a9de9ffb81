import type { Rental } from './rental.js';
import { isRentalWatchable } from './rental.js';
import type { Subscription } from './subscription.js';
import { currentSubscription, planAccessUntil, subscriptionStatus } from './subscription.js';

export { Rental } from './rental.js';
export { Subscription } from './subscription.js';

export type Plan = 'unlimited' | 'none';

/** The plan a viewer holds at `now`: a subscription counts until its paid period ends. */
export function planAt(subscriptions: readonly Subscription[], now: number): Plan {
  return planAccessUntil(subscriptions, now) === undefined ? 'none' : 'unlimited';
}

/** Rentals still watchable at `now`, soonest to expire first. */
export function activeRentals(rentals: readonly Rental[], now: number): Rental[] {
  return rentals
    .filter((rental) => isRentalWatchable(rental, now))
    .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt));
}

/** `GET /me`'s view of the plan: status as the viewer sees it now, or null without one. */
export function subscriptionView(subscriptions: readonly Subscription[], now: number) {
  const subscription = currentSubscription(subscriptions, now);
  if (!subscription) return null;
  return {
    subscriptionId: subscription.subscriptionId,
    status: subscriptionStatus(subscription, now),
    periodEnd: subscription.periodEnd,
    cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
    /** Next billing date: the period end unless the plan is cancelled or over. */
    renewsAt: subscriptionStatus(subscription, now) === 'active' ? subscription.periodEnd : null,
  };
}
