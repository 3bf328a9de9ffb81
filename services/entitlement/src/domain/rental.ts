import { z } from 'zod';

/** A rental is watchable for exactly this long from the moment of purchase. */
export const RENTAL_WINDOW_MS = 48 * 3600 * 1000;
/** The "under 5 hours left" reminder goes out this long before a rental ends. */
export const RENTAL_REMINDER_LEAD_MS = 5 * 3600 * 1000;

const At = z.iso.datetime({ offset: true });

/**
 * One paid purchase of one title. Every purchase is kept (sales and refunds refer to it); a
 * repeat purchase is a new rental whose window starts at its own purchase.
 */
export const Rental = z.object({
  rentalId: z.string(),
  videoId: z.string(),
  /** The provider's payment (Stripe PaymentIntent id); refunds name it. */
  paymentId: z.string().default(''),
  purchasedAt: At,
  expiresAt: At,
  refunded: z.boolean().default(false),
  refundedAt: At.nullable().default(null),
  amountJpy: z.number().int().nonnegative().default(0),
});
export type Rental = z.infer<typeof Rental>;

export const rentalExpiresAt = (purchasedAt: number) => purchasedAt + RENTAL_WINDOW_MS;
export const rentalReminderAt = (expiresAt: number) => expiresAt - RENTAL_REMINDER_LEAD_MS;

export function newRental(input: {
  rentalId: string;
  videoId: string;
  paymentId: string;
  purchasedAt: number;
  amountJpy: number;
  /** A refund that arrived before the payment itself: the rental is recorded, never watchable. */
  refundedAt?: number;
}): Rental {
  const refunded = input.refundedAt !== undefined;
  return {
    rentalId: input.rentalId,
    videoId: input.videoId,
    paymentId: input.paymentId,
    purchasedAt: new Date(input.purchasedAt).toISOString(),
    expiresAt: new Date(rentalExpiresAt(input.purchasedAt)).toISOString(),
    refunded,
    refundedAt: refunded ? new Date(input.refundedAt!).toISOString() : null,
    amountJpy: input.amountJpy,
  };
}

/** A refund ends the rental at once; refunding twice changes nothing. */
export function refundRental(rental: Rental, at: number): Rental {
  if (rental.refunded) return rental;
  return { ...rental, refunded: true, refundedAt: new Date(at).toISOString() };
}

/** Watchable iff purchasedAt ≤ now < expiresAt and not refunded: at exactly +48 h it has ended. */
export function isRentalWatchable(rental: Rental, now: number): boolean {
  return !rental.refunded && Date.parse(rental.purchasedAt) <= now && now < Date.parse(rental.expiresAt);
}

/**
 * Until when this title may be watched on its rentals (ms), or undefined. Overlapping purchases
 * are a union of windows, so the latest purchase's end wins: buying again extends to +48 h from
 * the new purchase, and refunding the newer one leaves the older one's paid window intact.
 */
export function rentalAccessUntil(rentals: readonly Rental[], videoId: string, now: number): number | undefined {
  let until: number | undefined;
  for (const rental of rentals) {
    if (rental.videoId !== videoId || !isRentalWatchable(rental, now)) continue;
    const end = Date.parse(rental.expiresAt);
    if (until === undefined || end > until) until = end;
  }
  return until;
}

/** When the title's most recent rental ended, if it has (for "your rental ended" messages). */
export function lastRentalEnd(rentals: readonly Rental[], videoId: string, now: number): number | undefined {
  let last: number | undefined;
  for (const rental of rentals) {
    if (rental.videoId !== videoId) continue;
    const end = rental.refunded ? Date.parse(rental.refundedAt ?? rental.expiresAt) : Date.parse(rental.expiresAt);
    if (end <= now && (last === undefined || end > last)) last = end;
  }
  return last;
}
