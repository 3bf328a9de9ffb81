import { describe, expect, it } from 'vitest';
import { PlanCatalogue } from '#shared/plans.js';
import { MONTHLY_PLAN, planCatalogue } from './plans.js';

describe('the plan catalogue', () => {
  it('answers the wire shape the web parses, at the catalogue price by default', () => {
    expect(PlanCatalogue.parse(planCatalogue())).toEqual({
      monthly: { priceJpy: MONTHLY_PLAN.priceJpy, currency: 'jpy', interval: 'month' },
    });
  });

  it('shows a deployment-configured price instead when one is given', () => {
    expect(planCatalogue(1200).monthly.priceJpy).toBe(1200);
  });
});
