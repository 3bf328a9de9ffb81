export type CheckoutKind = 'subscription' | 'rental';

export interface CheckoutRequest {
  kind: CheckoutKind;
  userId: string;
  email?: string;
  videoId?: string;
  amountJpy: number;
  successUrl: string;
  cancelUrl: string;
}

/** A verified payment fact, the same shape whatever the provider said. */
export type PaymentFact =
  | { kind: 'rental.paid'; eventId: string; userId: string; videoId: string; paymentId: string; at: number }
  | { kind: 'rental.refunded'; eventId: string; paymentId: string; at: number }
  | {
      kind: 'subscription.active';
      eventId: string;
      userId: string;
      subscriptionId: string;
      periodEnd: number;
      at: number;
    }
  | { kind: 'subscription.cancelled'; eventId: string; subscriptionId: string; periodEnd: number; at: number }
  | { kind: 'subscription.ended'; eventId: string; subscriptionId: string; at: number };

/** Stripe Checkout + verified webhooks on AWS; a sandbox checkout standalone. */
export interface Payments {
  createCheckout(request: CheckoutRequest): Promise<{ checkoutUrl: string }>;
  /** Verifies a webhook's signature over the raw body and turns it into a fact, or null to ignore. */
  parseWebhook(rawBody: string, signature: string | undefined): Promise<PaymentFact | null>;
}
