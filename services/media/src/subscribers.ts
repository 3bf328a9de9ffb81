import type { Subscription } from '../../../shared/ports/bus.js';

/** The events the media service consumes; infra turns this list into bus rules. */
export function mediaSubscriptions(): Subscription[] {
  return [];
}
