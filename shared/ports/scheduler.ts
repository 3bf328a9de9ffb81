import type { EventEnvelope } from '../events/define.js';

/**
 * One-time schedules that put an event on the bus at a time (EventBridge Scheduler `at()` on AWS;
 * a durable SQLite timer table standalone that also fires what came due while it was down).
 *
 * Names are the idempotency key: callers derive them from the domain (e.g. one per viewer and
 * title), so a retried event never makes a second schedule. Both adapters accept
 * `[0-9A-Za-z_.-]{1,64}` (EventBridge's rule) and refuse anything else.
 */
export interface Scheduler {
  /**
   * Creates the schedule, or replaces the one of that name (its time and event). `time` is epoch
   * ms; a time already past fires as soon as the adapter can (callers that must act at once do it
   * themselves). The event is published as is, so its id stays stable across duplicate firings.
   */
  at(name: string, time: number, event: EventEnvelope): Promise<void>;
  /** Deletes the schedule; a name that does not exist (or already fired) is not an error. */
  cancel(name: string): Promise<void>;
}

export const SCHEDULE_NAME = /^[0-9A-Za-z_.-]{1,64}$/;

/** Throws on a name neither adapter could store. */
export function assertScheduleName(name: string): void {
  if (!SCHEDULE_NAME.test(name)) throw new Error(`bad schedule name ${JSON.stringify(name)}`);
}
