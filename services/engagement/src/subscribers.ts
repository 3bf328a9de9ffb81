import type { Subscription } from '#shared/ports/bus.js';

/** The events the engagement service consumes; infra turns this list into bus rules. */
export function engagementSubscriptions(): Subscription[] {
  return [];
}
