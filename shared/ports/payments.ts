export type CheckoutKind = 'subscription' | 'rental';

export interface CheckoutRequest {
  kind: CheckoutKind;
  userId: string;
  email?: string;
  /** Rentals only: the title, its name on the receipt and its price in yen. */
  videoId?: string;
  title?: string;
  amountJpy?: number;
  successUrl: string;
  cancelUrl: string;
  /** The site's language, so the payment page speaks it (Stripe's `locale`; the sandbox's `?lang=`). */
  locale?: 'ja' | 'en';
}

interface FactBase {
  /** The provider's event id: processed once, whatever the number of deliveries. */
  eventId: string;
  /** The provider's event time (ms since the epoch): orders out-of-order deliveries. */
  at: number;
}

/**
 * A verified payment fact, the same shape whatever the provider said. Subscription facts carry
 * what the event says and nothing more (undefined = not said), so late events can be folded in
 * by time without overwriting newer knowledge.
 */
export type PaymentFact =
  | (FactBase & {
      kind: 'rental.paid';
      userId: string;
      videoId: string;
      paymentId: string;
      amountJpy: number;
    })
  | (FactBase & {
      kind: 'rental.refunded';
      /** The refunded payment (a PaymentIntent: a rental's, or a plan invoice's). */
      paymentId: string;
      /** Yen given back, when the provider says (a full refund otherwise). */
      amountJpy?: number;
    })
  | (FactBase & {
      kind: 'subscription';
      subscriptionId: string;
      /** Known from checkout metadata; absent when the event does not carry it. */
      userId?: string;
      state?: 'active' | 'past_due' | 'ended';
      /** End of a period the provider says is paid (ms). */
      periodEnd?: number;
      cancelAtPeriodEnd?: boolean;
      /** A plan payment this event reports (invoice.paid): the ledger records it once. */
      payment?: SubscriptionPayment;
    });

export interface SubscriptionPayment {
  /** The provider's invoice id. */
  invoiceId: string;
  /** The invoice's PaymentIntent when the provider names it (refunds name that). */
  paymentIntentId?: string;
  amountJpy: number;
  billing: 'initial' | 'renewal';
}

/** Stripe Checkout + verified webhooks on AWS; a sandbox checkout standalone. */
export interface Payments {
  createCheckout(request: CheckoutRequest): Promise<{ checkoutUrl: string }>;
  /**
   * Verifies a webhook's signature over the raw body and turns it into a fact, or null for an
   * event that means nothing here. Throws `WebhookSignatureError` when the signature is missing,
   * wrong or stale.
   */
  parseWebhook(rawBody: string, signature: string | undefined): Promise<PaymentFact | null>;
  /** Asks the provider to end the plan at the end of the paid period; its webhook confirms. */
  cancelSubscription(subscriptionId: string): Promise<void>;
  /** Withdraws a cancellation before the paid period ends: the plan renews again; its webhook confirms. */
  resumeSubscription(subscriptionId: string): Promise<void>;
}

/** A webhook whose signature is missing, does not match, or is older than the tolerance. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}
