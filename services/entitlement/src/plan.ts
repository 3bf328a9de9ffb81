import type { Clock } from '#shared/ports/clock.js';
import type { Table } from '#shared/ports/table.js';
import { planAt } from './domain/account.js';
import type { Plan } from './domain/account.js';
import { entitlementStore } from './store.js';

/**
 * The viewer's plan from the entitlement store, for the standalone issuer's display-only plan
 * claim (`createIssuer({ planOf })`). On AWS the Auth0 Action reads app metadata instead.
 */
export function planOf(deps: { table: Table; clock: Clock }): (userId: string) => Promise<Plan> {
  const store = entitlementStore(deps.table, { now: () => deps.clock.now() });
  return async (userId) => planAt((await store.account(userId)).subscriptions, deps.clock.now());
}
