import { AppError } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import type { PaymentFact } from '#shared/ports/payments.js';
import type { EntitlementStore, FulfilmentOutcome } from './store.js';

/**
 * Turns a verified payment fact into entitlement state. Every path is idempotent on the
 * provider's event id, and the outcome says what happened (for the webhook's 200 body and logs).
 * A payment for a title entitlement has never heard of (or that was deleted) is refused: no
 * rental is recorded and the provider is told so (it retries, then an operator refunds).
 */
export async function fulfil(
  store: EntitlementStore,
  fact: PaymentFact,
  now: number,
  logger?: Logger,
): Promise<FulfilmentOutcome> {
  switch (fact.kind) {
    case 'rental.paid': {
      if (await store.alreadyProcessed(fact.eventId)) return { outcome: 'duplicate' };
      const video = await store.videoFacts(fact.videoId);
      if (!video || video.deleted) {
        logger?.warn('payment for a title that does not exist; nothing recorded', {
          eventId: fact.eventId,
          videoId: fact.videoId,
          paymentId: fact.paymentId,
        });
        throw new AppError('not_found', `video ${fact.videoId} does not exist: no rental was recorded`, {
          videoId: fact.videoId,
        });
      }
      if (fact.amountJpy !== video.priceJpy) {
        // The checkout was opened at another price (the admin changed it meanwhile): the viewer
        // was not offered this price, so nothing is granted; the provider retries, an operator refunds.
        logger?.warn('payment at a price the title no longer has; nothing recorded', {
          eventId: fact.eventId,
          videoId: fact.videoId,
          paidJpy: fact.amountJpy,
          priceJpy: video.priceJpy,
        });
        throw new AppError(
          'conflict',
          `the price of ${fact.videoId} changed after checkout opened (paid ¥${fact.amountJpy}, now ¥${video.priceJpy}): no rental was recorded`,
          { reason: 'price_changed', videoId: fact.videoId },
        );
      }
      return store.recordRental(fact, now, video.title);
    }
    case 'rental.refunded':
      return store.recordRefund(fact, now);
    case 'subscription': {
      const outcome = await store.applySubscription(
        {
          eventId: fact.eventId,
          subscriptionId: fact.subscriptionId,
          ...(fact.userId ? { userId: fact.userId } : {}),
          fact: {
            at: fact.at,
            ...(fact.state ? { state: fact.state } : {}),
            ...(fact.periodEnd !== undefined ? { periodEnd: fact.periodEnd } : {}),
            ...(fact.cancelAtPeriodEnd !== undefined ? { cancelAtPeriodEnd: fact.cancelAtPeriodEnd } : {}),
          },
          ...(fact.payment ? { payment: fact.payment } : {}),
        },
        now,
      );
      if (!outcome) {
        // Only an event without our metadata, ahead of its checkout: the provider redelivers.
        throw new AppError('conflict', `subscription ${fact.subscriptionId} has no known owner yet; deliver it again`);
      }
      return outcome;
    }
  }
}
