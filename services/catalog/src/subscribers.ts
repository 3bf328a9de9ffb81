import type { Subscription } from '../../../shared/ports/bus.js';

/** The events the catalog service consumes; infra turns this list into bus rules. */
export function catalogSubscriptions(): Subscription[] {
  return [];
}
