import type { EventEnvelope } from '../events/define.js';

/**
 * One-time schedules that put an event on the bus at a time (EventBridge Scheduler `at()` on AWS;
 * a durable SQLite timer table standalone that also fires what came due while it was down).
 */
export interface Scheduler {
  /** Idempotent by name: scheduling the same name again replaces the earlier one. */
  at(name: string, time: number, event: EventEnvelope): Promise<void>;
  cancel(name: string): Promise<void>;
}
