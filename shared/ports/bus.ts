import type { EventDefinition, EventEnvelope } from '../events/define.js';

/**
 * Puts envelopes on the bus directly. Services never do: their events commit with their state
 * through `Table.transact` (the outbox), relayed by DynamoDB Streams → EventBridge Pipes on AWS and
 * by the local dispatcher standalone. The local dispatcher implements this for what has no table
 * of its own (the standalone Scheduler's fired timers, issue 11); on AWS EventBridge Scheduler
 * targets the bus itself, so there is no AWS adapter.
 */
export interface Bus {
  publish(events: EventEnvelope[]): Promise<void>;
}

/**
 * One handler per consumed event; each service exports a list of these from `subscribers.ts`, and
 * infra turns the same list into bus rules (exact source + detail-type).
 */
export interface Subscription {
  /** Stable and unique across Kinema, e.g. `media.start-pipeline`: it names the inbox and the rule. */
  readonly name: string;
  readonly event: EventDefinition;
  handle(envelope: EventEnvelope): Promise<void>;
}
