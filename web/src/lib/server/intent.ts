import { z } from 'zod';

/**
 * What a visitor was doing when they had to sign in first: buying. It rides in the sealed sign-in
 * flow cookie (never in a URL anyone else can make), so after sign-in or sign-up the callback
 * opens checkout at once instead of dropping them back on the title to press Rent again.
 */
export const PurchaseIntent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('subscription') }),
  z.object({ kind: z.literal('rental'), videoId: z.string().regex(/^[0-9a-z][0-9a-z_-]{0,63}$/) }),
]);
export type PurchaseIntent = z.infer<typeof PurchaseIntent>;
