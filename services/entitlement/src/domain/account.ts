import { z } from 'zod';

/**
 * What "my account" says about watching rights. Subscriptions and rentals are filled in by the
 * entitlement issue; the shape is the public contract (`GET /api/entitlement/me`) from day one.
 */
export const Subscription = z.object({
  subscriptionId: z.string(),
  status: z.enum(['active', 'cancelled', 'ended', 'past_due']),
  periodEnd: z.iso.datetime({ offset: true }),
  cancelAtPeriodEnd: z.boolean(),
});
export type Subscription = z.infer<typeof Subscription>;

export const Rental = z.object({
  rentalId: z.string(),
  videoId: z.string(),
  purchasedAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }),
  refunded: z.boolean().default(false),
});
export type Rental = z.infer<typeof Rental>;

export type Plan = 'unlimited' | 'none';

/** The plan a viewer holds at `now`: a subscription counts until its paid period ends. */
export function planAt(subscription: Subscription | undefined, now: number): Plan {
  if (!subscription) return 'none';
  if (subscription.status === 'ended') return 'none';
  return Date.parse(subscription.periodEnd) > now ? 'unlimited' : 'none';
}

/** Rentals still watchable at `now`, soonest to expire first. */
export function activeRentals(rentals: Rental[], now: number): Rental[] {
  return rentals
    .filter((rental) => !rental.refunded && Date.parse(rental.expiresAt) > now)
    .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt));
}
