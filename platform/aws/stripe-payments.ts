import Stripe from 'stripe';
import { systemClock } from '#shared/ports/clock.js';
import type { CheckoutRequest, Payments } from '#shared/ports/payments.js';
import { stripeWebhookParser } from '#protocol/stripe-webhook.js';
import type { StripeWebhookOptions } from '#protocol/stripe-webhook.js';

/** Stripe's minimum checkout session lifetime. */
export const CHECKOUT_LIFETIME_SECONDS = 30 * 60;

export interface StripePaymentsOptions extends StripeWebhookOptions {
  /** The secret API key (`sk_…`). */
  apiKey: string;
  /** The plan's recurring JPY price, by id, or by its lookup key (resolved once, on first use). */
  planPriceId?: string;
  planLookupKey?: string;
  /** Tests pass `Stripe.createFetchHttpClient(fakeFetch)`; nothing here reaches the network then. */
  httpClient?: ReturnType<typeof Stripe.createFetchHttpClient>;
}

/** Payments on Stripe: Checkout sessions (JPY) and verified webhooks. Reads no environment. */
export function stripePayments(options: StripePaymentsOptions): Payments {
  if (!options.apiKey) throw new Error('stripePayments: apiKey is empty');
  if (!options.planPriceId && !options.planLookupKey) {
    throw new Error('stripePayments: give planPriceId or planLookupKey');
  }
  const stripe = new Stripe(options.apiKey, {
    maxNetworkRetries: 2,
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  });
  let planPrice: Promise<string> | undefined;
  const planPriceId = () =>
    (planPrice ??= options.planPriceId
      ? Promise.resolve(options.planPriceId)
      : stripe.prices.list({ lookup_keys: [options.planLookupKey!], active: true, limit: 1 }).then((page) => {
          const price = page.data[0];
          if (!price) throw new Error(`no active Stripe price has the lookup key ${options.planLookupKey}`);
          return price.id;
        })).catch((error: unknown) => {
      planPrice = undefined;
      throw error;
    });

  return {
    async createCheckout(request: CheckoutRequest) {
      const common = {
        client_reference_id: request.userId,
        ...(request.email ? { customer_email: request.email } : {}),
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
        ...(request.locale ? { locale: request.locale } : {}),
        // Stripe's shortest life (default 24 h): a session opened at an old price cannot be paid
        // long after a change, and fulfilment refuses one that still is (fulfilment.ts).
        expires_at: Math.floor((options.clock ?? systemClock).now() / 1000) + CHECKOUT_LIFETIME_SECONDS,
      };
      if (request.kind === 'subscription') {
        const metadata = { kind: 'subscription', userId: request.userId };
        const session = await stripe.checkout.sessions.create({
          ...common,
          mode: 'subscription',
          line_items: [{ price: await planPriceId(), quantity: 1 }],
          metadata,
          // Later subscription and invoice events carry this, so they name their owner.
          subscription_data: { metadata },
        });
        if (!session.url) throw new Error('Stripe returned a checkout session without a url');
        return { checkoutUrl: session.url };
      }
      if (!request.videoId || !request.amountJpy) throw new Error('a rental checkout needs videoId and amountJpy');
      const metadata = { kind: 'rental', userId: request.userId, videoId: request.videoId };
      const session = await stripe.checkout.sessions.create({
        ...common,
        mode: 'payment',
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: 'jpy',
              // JPY is a zero-decimal currency: the amount is in yen.
              unit_amount: request.amountJpy,
              product_data: { name: request.title ?? request.videoId, metadata: { videoId: request.videoId } },
            },
          },
        ],
        metadata,
        payment_intent_data: { metadata },
      });
      if (!session.url) throw new Error('Stripe returned a checkout session without a url');
      return { checkoutUrl: session.url };
    },
    parseWebhook: stripeWebhookParser(options),
    async resumeSubscription(subscriptionId) {
      await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: false });
    },
    async cancelSubscription(subscriptionId) {
      await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    },
  };
}
