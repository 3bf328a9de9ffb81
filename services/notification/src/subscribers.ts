import type { Subscription } from '#shared/ports/bus.js';

/** The events the notification service consumes; infra turns this list into bus rules. */
export function notificationSubscriptions(): Subscription[] {
  return [];
}
