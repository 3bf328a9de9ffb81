import type { PlanCatalogue } from '#shared/plans.js';

/**
 * The plans Kinema sells, in one place: the monthly unlimited plan. Both runtimes show this price
 * (the payment provider's price is what is charged: on AWS Stripe's recurring JPY price with this
 * lookup key, standalone the sandbox checkout charges the amount the service asks for).
 */
export const MONTHLY_PLAN = {
  priceJpy: 990,
  currency: 'jpy',
  interval: 'month',
  /** Stripe's lookup key of the recurring price (see infra/entitlement.ts). */
  stripeLookupKey: 'kinema_monthly',
} as const satisfies PlanCatalogue['monthly'] & { stripeLookupKey: string };

/** The catalogue as `GET /api/entitlement/plans` answers it, at the price a deployment shows. */
export function planCatalogue(priceJpy: number = MONTHLY_PLAN.priceJpy): PlanCatalogue {
  return { monthly: { priceJpy, currency: MONTHLY_PLAN.currency, interval: MONTHLY_PLAN.interval } };
}
