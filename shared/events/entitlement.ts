import { z } from 'zod';
import { defineEvent } from './define.js';

const At = z.iso.datetime({ offset: true });
const Subscription = z.object({ userId: z.string(), subscriptionId: z.string(), periodEnd: At });

export const SubscriptionStarted = defineEvent('entitlement', 'SubscriptionStarted', Subscription);
export const SubscriptionRenewed = defineEvent('entitlement', 'SubscriptionRenewed', Subscription);
export const SubscriptionCancelled = defineEvent('entitlement', 'SubscriptionCancelled', Subscription);
export const SubscriptionEnded = defineEvent(
  'entitlement',
  'SubscriptionEnded',
  z.object({ userId: z.string(), subscriptionId: z.string() }),
);
export const RentalPurchased = defineEvent(
  'entitlement',
  'RentalPurchased',
  z.object({
    userId: z.string(),
    rentalId: z.string(),
    videoId: z.string(),
    purchasedAt: At,
    expiresAt: At,
    reminderAt: At,
  }),
);
export const RentalRefunded = defineEvent(
  'entitlement',
  'RentalRefunded',
  z.object({ userId: z.string(), rentalId: z.string(), videoId: z.string() }),
);
