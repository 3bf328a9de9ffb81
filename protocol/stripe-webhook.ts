/**
 * Stripe's webhook protocol, which both runtimes speak byte for byte: the signature check (Stripe's
 * own `constructEvent`) and the mapping of Stripe events to Kinema's payment facts. AWS receives
 * Stripe's deliveries; the standalone sandbox checkout signs its own with Stripe's test header.
 */
import type Stripe from 'stripe';
import { z } from 'zod';
import type { Clock } from '#shared/ports/clock.js';
import { systemClock } from '#shared/ports/clock.js';
import type { PaymentFact, Payments } from '#shared/ports/payments.js';
import { WebhookSignatureError } from '#shared/ports/payments.js';

/**
 * Stripe's SDK (~220 modules), imported with the first webhook rather than at start: the
 * standalone runtime only needs it when a (sandbox) payment is delivered.
 */
let sdk: Promise<typeof Stripe> | undefined;
const stripeSdk = () => (sdk ??= import('stripe').then((module) => module.default));

/** Stripe's default, and the most a signed delivery may age before it is refused as a replay. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export interface StripeWebhookOptions {
  /** The endpoint's signing secret (`whsec_…`). */
  webhookSecret: string;
  /** Reads "now" for the timestamp tolerance (the standalone dev clock moves it). */
  clock?: Clock;
  toleranceSeconds?: number;
}

// ---- The parts of Stripe's objects Kinema reads, parsed at the boundary (extra fields pass). ----

const Ref = z
  .union([z.string(), z.object({ id: z.string() })])
  .transform((value) => (typeof value === 'string' ? value : value.id));
const Metadata = z
  .record(z.string(), z.string())
  .nullish()
  .transform((value) => value ?? {});

const StripeEvent = z.object({
  id: z.string().min(1),
  type: z.string(),
  created: z.number().int(),
  data: z.object({ object: z.unknown() }),
});

const CheckoutSession = z.object({
  id: z.string(),
  mode: z.enum(['payment', 'subscription', 'setup']),
  payment_status: z.string(),
  client_reference_id: z.string().nullish(),
  metadata: Metadata,
  payment_intent: Ref.nullish(),
  subscription: Ref.nullish(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
});

const Invoice = z.object({
  id: z.string(),
  billing_reason: z.string().nullish(),
  amount_paid: z.number().int().nonnegative().nullish(),
  currency: z.string().nullish(),
  /** API versions before 2025-03 name the PaymentIntent here… */
  payment_intent: Ref.nullish(),
  /** …later ones list the invoice's payments (expanded or not). */
  payments: z
    .object({ data: z.array(z.object({ payment: z.object({ payment_intent: Ref.nullish() }).nullish() })) })
    .nullish(),
  /** API versions before 2025-03 put the subscription here… */
  subscription: Ref.nullish(),
  /** …later ones under `parent.subscription_details`. */
  parent: z
    .object({
      subscription_details: z.object({ subscription: Ref.nullish(), metadata: Metadata }).nullish(),
    })
    .nullish(),
  lines: z.object({ data: z.array(z.object({ period: z.object({ start: z.number(), end: z.number() }) })) }),
});

const SubscriptionObject = z.object({
  id: z.string(),
  status: z.string(),
  cancel_at_period_end: z.boolean().default(false),
  metadata: Metadata,
  current_period_end: z.number().nullish(),
  items: z.object({ data: z.array(z.object({ current_period_end: z.number().nullish() })) }).nullish(),
});

const Charge = z.object({
  id: z.string(),
  payment_intent: Ref.nullish(),
  refunded: z.boolean(),
  amount_refunded: z.number().int().nonnegative().nullish(),
});

const SUBSCRIPTION_STATES: Record<string, 'active' | 'past_due' | 'ended' | undefined> = {
  active: 'active',
  trialing: 'active',
  past_due: 'past_due',
  unpaid: 'past_due',
  canceled: 'ended',
  incomplete_expired: 'ended',
};

const RentalMetadata = z.object({ kind: z.literal('rental'), userId: z.string().min(1), videoId: z.string().min(1) });

function rentalPaid(eventId: string, at: number, session: z.infer<typeof CheckoutSession>): PaymentFact | null {
  const metadata = RentalMetadata.safeParse(session.metadata);
  if (session.mode !== 'payment' || !metadata.success || session.payment_status !== 'paid') return null;
  if (!session.payment_intent || session.currency?.toLowerCase() !== 'jpy') return null;
  return {
    kind: 'rental.paid',
    eventId,
    at,
    userId: metadata.data.userId,
    videoId: metadata.data.videoId,
    paymentId: session.payment_intent,
    amountJpy: session.amount_total ?? 0,
  };
}

/**
 * Stripe's own test signature (`Stripe.webhooks.generateTestHeaderString`), re-exported so tests
 * outside platform/aws sign deliveries exactly as Stripe does without importing the SDK.
 */
export async function stripeTestSignature(payload: string, secret: string, timestampSeconds: number): Promise<string> {
  const stripe = await stripeSdk();
  return stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: timestampSeconds });
}

/** Maps one verified Stripe event to a fact, or null for events Kinema does not act on. */
export function stripeEventToFact(event: z.infer<typeof StripeEvent>): PaymentFact | null {
  const eventId = event.id;
  const at = event.created * 1000;
  const object = event.data.object;
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = CheckoutSession.parse(object);
      if (session.mode === 'subscription') {
        const userId = session.metadata.userId ?? session.client_reference_id ?? undefined;
        if (!session.subscription || !userId) return null;
        // Names the owner; the paid period comes with invoice.paid.
        return { kind: 'subscription', eventId, at, subscriptionId: session.subscription, userId };
      }
      return rentalPaid(eventId, at, session);
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const invoice = Invoice.parse(object);
      const details = invoice.parent?.subscription_details;
      const subscriptionId = details?.subscription ?? invoice.subscription;
      if (!subscriptionId) return null;
      const userId = details?.metadata.userId;
      if (event.type === 'invoice.payment_failed') {
        return { kind: 'subscription', eventId, at, subscriptionId, ...(userId ? { userId } : {}), state: 'past_due' };
      }
      const ends = invoice.lines.data.map((line) => line.period.end);
      const paymentIntentId =
        invoice.payment_intent ??
        invoice.payments?.data.find((entry) => entry.payment?.payment_intent)?.payment?.payment_intent;
      const payment =
        invoice.currency?.toLowerCase() === 'jpy' && invoice.amount_paid
          ? {
              invoiceId: invoice.id,
              ...(paymentIntentId ? { paymentIntentId } : {}),
              amountJpy: invoice.amount_paid,
              billing: invoice.billing_reason === 'subscription_create' ? ('initial' as const) : ('renewal' as const),
            }
          : undefined;
      return {
        kind: 'subscription',
        eventId,
        at,
        subscriptionId,
        ...(userId ? { userId } : {}),
        state: 'active',
        ...(ends.length > 0 ? { periodEnd: Math.max(...ends) * 1000 } : {}),
        ...(payment ? { payment } : {}),
      };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const subscription = SubscriptionObject.parse(object);
      const userId = subscription.metadata.userId;
      const state = event.type === 'customer.subscription.deleted' ? 'ended' : SUBSCRIPTION_STATES[subscription.status];
      const end = subscription.items?.data[0]?.current_period_end ?? subscription.current_period_end ?? undefined;
      return {
        kind: 'subscription',
        eventId,
        at,
        subscriptionId: subscription.id,
        ...(userId ? { userId } : {}),
        ...(state ? { state } : {}),
        // Only an active subscription's period is paid; a past_due one's new period is not.
        ...(state === 'active' && end ? { periodEnd: end * 1000 } : {}),
        cancelAtPeriodEnd: subscription.cancel_at_period_end,
      };
    }
    case 'charge.refunded': {
      const charge = Charge.parse(object);
      // Partial refunds (goodwill credits) leave the rental running; a full refund ends it.
      if (!charge.refunded || !charge.payment_intent) return null;
      return {
        kind: 'rental.refunded',
        eventId,
        at,
        paymentId: charge.payment_intent,
        ...(charge.amount_refunded ? { amountJpy: charge.amount_refunded } : {}),
      };
    }
    default:
      return null;
  }
}

/**
 * Verifies a Stripe webhook (`Stripe-Signature` over the raw body, HMAC-SHA256, timestamp within
 * the tolerance of the Clock) with Stripe's own `constructEvent`, then maps it to a PaymentFact.
 */
export function stripeWebhookParser(options: StripeWebhookOptions): Payments['parseWebhook'] {
  const clock = options.clock ?? systemClock;
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (!options.webhookSecret) throw new Error('stripeWebhookParser: webhookSecret is empty');
  return async (rawBody, signature) => {
    if (!signature) throw new WebhookSignatureError('the Stripe-Signature header is missing');
    const stripe = await stripeSdk();
    let event: unknown;
    try {
      event = stripe.webhooks.constructEvent(
        rawBody,
        signature,
        options.webhookSecret,
        tolerance,
        undefined,
        clock.now(),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new WebhookSignatureError(
        /tolerance/i.test(message) ? 'the signature timestamp is too old (replay?)' : 'the signature does not match',
      );
    }
    const parsed = StripeEvent.safeParse(event);
    if (!parsed.success) throw new WebhookSignatureError('a signed body that is not a Stripe event');
    return stripeEventToFact(parsed.data);
  };
}
