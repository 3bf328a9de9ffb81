import type { EventDefinition, EventEnvelope } from '../events/define.js';

/** Publishes envelopes to the bus (EventBridge PutEvents on AWS; the local dispatcher standalone). */
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
