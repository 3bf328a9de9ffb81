import { z } from 'zod';
import { EventEnvelope } from '#shared/events/define.js';
import { deliver } from '#shared/events/subscribe.js';
import { OUTBOX_EVENT_REF } from './dynamo-table.js';
import { invalidInput } from '#shared/errors.js';
import { silentLogger, type Logger } from '#shared/log.js';
import type { Subscription } from '#shared/ports/bus.js';
import type { Table } from '#shared/ports/table.js';

/**
 * The Lambda handler EventBridge rules target: it parses the event as the bus envelope, routes it
 * by exact source + detail-type to the service's subscriptions and delivers it through the inbox
 * (`deliver()`), so EventBridge's at-least-once redeliveries are dropped.
 *
 * An envelope no subscription wants is logged and ignored (a rule can outlive a subscription
 * during a deploy). A malformed event or a failing handler throws, so Lambda's async retries and
 * the DLQ keep it; every matching subscription is tried before the throw, and the ones already
 * handled are skipped on the retry by their inbox.
 */
export function eventBridgeHandler(options: {
  subscriptions: Subscription[];
  inbox: Table;
  now: () => number;
  logger?: Logger;
}): (event: unknown) => Promise<void> {
  const { subscriptions, inbox, now, logger = silentLogger } = options;
  return async (event) => {
    const parsed = EventEnvelope.safeParse(event);
    if (!parsed.success) {
      logger.error('event is not a bus envelope', { issues: z.treeifyError(parsed.error) });
      throw invalidInput('event is not a bus envelope', z.treeifyError(parsed.error));
    }
    // EventBridge gives a relayed event a new id; the outbox relay keeps the producer's id in
    // `resources` as `kinema:event:<id>`, so the inbox drops a re-relayed duplicate too.
    const original = parsed.data.resources.find((resource) => resource.startsWith(OUTBOX_EVENT_REF));
    const envelope = {
      ...parsed.data,
      id: original ? original.slice(OUTBOX_EVENT_REF.length) : parsed.data.id,
    } as EventEnvelope;
    const fields = { eventId: envelope.id, source: envelope.source, detailType: envelope['detail-type'] };
    const matching = subscriptions.filter((subscription) => subscription.event.matches(envelope));
    if (matching.length === 0) {
      logger.warn('no subscription for event; ignored', fields);
      return;
    }
    const failures: unknown[] = [];
    for (const subscription of matching) {
      try {
        const outcome = await deliver(subscription, envelope, inbox, now());
        logger.info('event delivered', { ...fields, subscription: subscription.name, outcome });
      } catch (error) {
        logger.error('subscription failed', { ...fields, subscription: subscription.name, err: error });
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1)
      throw new AggregateError(failures, `${failures.length} subscriptions failed for ${envelope.id}`);
  };
}
