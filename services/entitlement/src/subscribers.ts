import type { Subscription } from '../../../shared/ports/bus.js';

/** The events the entitlement service consumes; infra turns this list into bus rules. */
export function entitlementSubscriptions(): Subscription[] {
  return [];
}
