import { z } from 'zod';

/**
 * `GET /api/entitlement/plans`: the plans on sale as the entitlement service answers them, the
 * same on both runtimes. The figures come from the entitlement domain's plan catalogue
 * (`services/entitlement/src/domain/plans.ts`); the web parses the answer with this schema.
 */
export const PlanCatalogue = z.object({
  monthly: z.object({
    priceJpy: z.number().int().nonnegative(),
    currency: z.literal('jpy'),
    interval: z.literal('month'),
  }),
});
export type PlanCatalogue = z.infer<typeof PlanCatalogue>;
