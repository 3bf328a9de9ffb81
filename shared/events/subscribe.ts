import type { z } from 'zod';
import type { Subscription } from '../ports/bus.js';
import type { Table } from '../ports/table.js';
import type { EventDefinition, EventEnvelope } from './define.js';

/** Declares a subscription with the detail typed by the event's own schema. */
export function subscribe<S extends z.ZodType>(
  name: string,
  event: EventDefinition<string, S>,
  handle: (detail: z.infer<S>, envelope: EventEnvelope<z.infer<S>>) => Promise<void>,
): Subscription {
  return {
    name,
    event,
    async handle(raw) {
      const envelope = event.parse(raw);
      await handle(envelope.detail, envelope);
    },
  };
}

const INBOX_TTL_SECONDS = 14 * 24 * 3600;

/**
 * Delivers one envelope to one subscription at most once in effect: the consumer's table keeps an
 * inbox of handled event ids, so a redelivery (the bus is at-least-once in both runtimes) is
 * dropped. Handlers are still written to be idempotent: a crash between the handler's writes and
 * the inbox mark re-runs the handler.
 */
export async function deliver(
  subscription: Subscription,
  envelope: EventEnvelope,
  inbox: Table,
  now: number,
): Promise<'handled' | 'duplicate'> {
  const key = { pk: `inbox#${subscription.name}`, sk: envelope.id };
  if (await inbox.get(key)) return 'duplicate';
  await subscription.handle(envelope);
  await inbox.put({ ...key, handledAt: new Date(now).toISOString(), ttl: Math.floor(now / 1000) + INBOX_TTL_SECONDS });
  return 'handled';
}
