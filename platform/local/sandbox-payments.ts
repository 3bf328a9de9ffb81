import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { ConditionFailedError } from '#shared/errors.js';
import { newId } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { CheckoutRequest, Payments } from '#shared/ports/payments.js';
import type { Table, Write } from '#shared/ports/table.js';
import { stripeWebhookParser } from '#protocol/stripe-webhook.js';

/** Test cards, as on Stripe: this one pays… */
export const SANDBOX_CARD_PAYS = '4242424242424242';
/** …and this one is declined (Stripe's `card_declined`). */
export const SANDBOX_CARD_DECLINES = '4000000000000002';

export const SANDBOX_PATH = '/_sandbox/';
export const WEBHOOK_PATH = '/api/entitlement/webhooks/stripe';

export interface SandboxPaymentsOptions {
  /** Where sessions, subscriptions and undelivered events live (its own file is best). */
  table: Table;
  clock: Clock;
  /** The origin browsers use: checkout URLs are `${publicUrl}/_sandbox/checkout/<id>`. */
  publicUrl: string;
  /** Where the webhook is POSTed (`${apiOrigin}/api/entitlement/webhooks/stripe`); default publicUrl. */
  apiOrigin?: string;
  /** Signs the sandbox's events; the Stripe parser checks them with the same secret. */
  webhookSecret: string;
  /** Delivers a signed event; default: an HTTP POST to the webhook route. Tests call the app. */
  deliver?: (rawBody: string, signature: string) => Promise<{ status: number }>;
  /**
   * What a title rents for now (yen), asked when the card is submitted: a rental session opened at
   * another price is voided, not charged. Undefined = the title is gone. (The plan's price is
   * configuration, fixed while the server runs.)
   */
  rentalPriceNow?: (videoId: string) => Promise<number | undefined>;
  logger?: Logger;
}

export const SandboxSession = z.object({
  sessionId: z.string(),
  kind: z.enum(['subscription', 'rental']),
  userId: z.string(),
  email: z.string().nullable(),
  videoId: z.string().nullable(),
  title: z.string().nullable(),
  amountJpy: z.number().int().nonnegative(),
  successUrl: z.string(),
  cancelUrl: z.string(),
  status: z.enum(['open', 'paid', 'declined', 'voided']),
  createdAt: z.number(),
});
export type SandboxSession = z.infer<typeof SandboxSession>;

const SandboxSubscription = z.object({
  subscriptionId: z.string(),
  userId: z.string(),
  amountJpy: z.number(),
  periodStart: z.number(),
  periodEnd: z.number(),
  cancelAtPeriodEnd: z.boolean(),
  status: z.enum(['active', 'ended']),
});
type SandboxSubscription = z.infer<typeof SandboxSubscription>;

const Pending = z.object({ body: z.string(), attempts: z.number() });
interface Outgoing {
  id: string;
  body: string;
}

export type PayOutcome =
  | { outcome: 'paid'; redirectUrl: string }
  | { outcome: 'declined'; redirectUrl: string }
  | { outcome: 'invalid_card' }
  | { outcome: 'price_changed'; session: SandboxSession }
  | { outcome: 'closed'; session: SandboxSession }
  | { outcome: 'not_found' };

/** Stripe's shortest session life: a session cannot outlive a price change by long. */
const SESSION_TTL_S = 30 * 60;
const MAX_DELIVERY_ATTEMPTS = 5;
const SUBSCRIPTIONS = 'sandbox-subscriptions';
const PENDING = 'sandbox-undelivered';
const sessionKey = (sessionId: string) => ({ pk: `sandbox-session#${sessionId}`, sk: 'session' });

/** Stripe's `Stripe-Signature` format: `t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function signStripePayload(body: string, secret: string, seconds: number): string {
  const signature = createHmac('sha256', secret).update(`${seconds}.${body}`).digest('hex');
  return `t=${seconds},v1=${signature}`;
}

/** One calendar month later (Stripe's monthly billing anchor, clamped to the month's last day). */
export function addMonth(at: number): number {
  const date = new Date(at);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + 1);
  const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, last));
  return date.getTime();
}

/**
 * The standalone payment provider. `createCheckout` opens a session and returns the sandbox page's
 * URL; paying there builds the Stripe-shaped events a real payment would (checkout.session.completed,
 * invoice.paid, customer.subscription.updated/deleted, charge.refunded), signs them with the same
 * header format as Stripe and POSTs them to the entitlement webhook, so fulfilment runs through the
 * same `parseWebhook` as production. `tick()` renews or ends subscriptions whose period is over by
 * the Clock, and retries deliveries that failed.
 */
export function sandboxPayments(options: SandboxPaymentsOptions) {
  const { table, clock } = options;
  const logger = options.logger ?? silentLogger;
  const publicUrl = options.publicUrl.replace(/\/$/, '');
  const apiOrigin = (options.apiOrigin ?? publicUrl).replace(/\/$/, '');
  const post =
    options.deliver ??
    (async (rawBody: string, signature: string) => {
      const response = await fetch(`${apiOrigin}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: rawBody,
      });
      await response.arrayBuffer();
      return { status: response.status };
    });
  const seconds = () => Math.floor(clock.now() / 1000);

  /** A Stripe-shaped event, ready to be signed and delivered. */
  function prepare(type: string, object: Record<string, unknown>): Outgoing {
    const id = `evt_sandbox_${newId(clock.now())}`;
    const body = JSON.stringify({
      id,
      object: 'event',
      api_version: '2025-11-17.clover',
      created: seconds(),
      livemode: false,
      type,
      data: { object },
    });
    return { id, body };
  }

  /**
   * Commits `writes` together with the events they cause (kept as undelivered: the sandbox's
   * outbox), then signs and delivers the events in order. A crash after the commit cannot lose
   * them: `tick()` delivers what is still undelivered, as Stripe retries; the receiver dedupes by
   * event id. Without this, a payment could be taken and never reach entitlement.
   */
  async function commit(writes: Write[], events: Outgoing[]) {
    await table.transact([
      ...writes,
      ...events.map((event) => ({ put: { pk: PENDING, sk: event.id, body: event.body, attempts: 0 } })),
    ]);
  }
  async function deliver(events: Outgoing[]) {
    for (const event of events) await attempt(event.id, event.body, 0);
  }
  async function commitAndSend(writes: Write[], events: Outgoing[]) {
    await commit(writes, events);
    await deliver(events);
  }

  const send = (type: string, object: Record<string, unknown>) => commitAndSend([], [prepare(type, object)]);

  async function attempt(id: string, body: string, attempts: number) {
    let status = 0;
    try {
      ({ status } = await post(body, signStripePayload(body, options.webhookSecret, seconds())));
    } catch (error) {
      logger.warn('sandbox webhook delivery failed', { eventId: id, err: error });
    }
    if (status >= 200 && status < 300) {
      await table.delete({ pk: PENDING, sk: id });
      return true;
    }
    logger.warn('sandbox webhook refused', { eventId: id, status, attempts: attempts + 1 });
    if (attempts + 1 >= MAX_DELIVERY_ATTEMPTS) await table.delete({ pk: PENDING, sk: id });
    else await table.put({ pk: PENDING, sk: id, body, attempts: attempts + 1 });
    return false;
  }

  const subscriptionObject = (subscription: SandboxSubscription) => ({
    id: subscription.subscriptionId,
    object: 'subscription',
    status: subscription.status === 'ended' ? 'canceled' : 'active',
    cancel_at_period_end: subscription.cancelAtPeriodEnd,
    metadata: { kind: 'subscription', userId: subscription.userId },
    items: {
      object: 'list',
      data: [
        {
          object: 'subscription_item',
          current_period_start: Math.floor(subscription.periodStart / 1000),
          current_period_end: Math.floor(subscription.periodEnd / 1000),
        },
      ],
    },
  });

  const invoicePaid = (subscription: SandboxSubscription, reason: string) =>
    prepare('invoice.paid', {
      id: `in_sandbox_${newId(clock.now())}`,
      object: 'invoice',
      status: 'paid',
      billing_reason: reason,
      currency: 'jpy',
      amount_paid: subscription.amountJpy,
      parent: {
        type: 'subscription_details',
        subscription_details: {
          subscription: subscription.subscriptionId,
          metadata: { kind: 'subscription', userId: subscription.userId },
        },
      },
      lines: {
        object: 'list',
        data: [
          {
            object: 'line_item',
            amount: subscription.amountJpy,
            period: {
              start: Math.floor(subscription.periodStart / 1000),
              end: Math.floor(subscription.periodEnd / 1000),
            },
          },
        ],
      },
    });

  async function session(sessionId: string): Promise<SandboxSession | undefined> {
    if (!/^[0-9a-z]{1,64}$/.test(sessionId)) return undefined;
    const item = await table.get(sessionKey(sessionId));
    return item ? SandboxSession.parse(item) : undefined;
  }

  async function close(current: SandboxSession, status: 'declined' | 'voided') {
    try {
      await table.update(sessionKey(current.sessionId), { set: { status } }, [
        { kind: 'equals', attribute: 'status', value: 'open' },
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** The card step: the pay card completes the payment, the decline card fails it, others are refused. */
  async function pay(sessionId: string, cardNumber: string): Promise<PayOutcome> {
    const current = await session(sessionId);
    if (!current) return { outcome: 'not_found' };
    if (current.status !== 'open') return { outcome: 'closed', session: current };
    const card = cardNumber.replace(/[\s-]/g, '');
    if (card === SANDBOX_CARD_DECLINES) {
      if (!(await close(current, 'declined'))) return { outcome: 'closed', session: current };
      return { outcome: 'declined', redirectUrl: current.cancelUrl };
    }
    if (card !== SANDBOX_CARD_PAYS) return { outcome: 'invalid_card' };
    if (current.kind === 'rental' && current.videoId && options.rentalPriceNow) {
      const price = await options.rentalPriceNow(current.videoId);
      if (price !== current.amountJpy) {
        if (!(await close(current, 'voided'))) return { outcome: 'closed', session: current };
        return { outcome: 'price_changed', session: current };
      }
    }

    const now = clock.now();
    const metadata =
      current.kind === 'rental'
        ? { kind: 'rental', userId: current.userId, videoId: current.videoId ?? '' }
        : { kind: 'subscription', userId: current.userId };
    const checkout = {
      id: `cs_sandbox_${current.sessionId}`,
      object: 'checkout.session',
      mode: current.kind === 'rental' ? 'payment' : 'subscription',
      status: 'complete',
      payment_status: 'paid',
      client_reference_id: current.userId,
      customer_email: current.email,
      metadata,
      currency: 'jpy',
      amount_total: current.amountJpy,
      payment_intent: current.kind === 'rental' ? `pi_sandbox_${current.sessionId}` : null,
      subscription: current.kind === 'subscription' ? `sub_sandbox_${current.sessionId}` : null,
    };
    // The session closes as paid in the same transaction that keeps its events for delivery.
    const writes: Write[] = [
      {
        update: sessionKey(current.sessionId),
        changes: { set: { status: 'paid' } },
        when: [{ kind: 'equals', attribute: 'status', value: 'open' }],
      },
    ];
    const events = [prepare('checkout.session.completed', checkout)];
    if (current.kind === 'subscription') {
      const subscription: SandboxSubscription = {
        subscriptionId: `sub_sandbox_${current.sessionId}`,
        userId: current.userId,
        amountJpy: current.amountJpy,
        periodStart: now,
        periodEnd: addMonth(now),
        cancelAtPeriodEnd: false,
        status: 'active',
      };
      writes.push({ put: { pk: SUBSCRIPTIONS, sk: subscription.subscriptionId, ...subscription } });
      events.push(invoicePaid(subscription, 'subscription_create'));
    }
    try {
      await commit(writes, events);
    } catch (error) {
      if (error instanceof ConditionFailedError) return { outcome: 'closed', session: current };
      throw error;
    }
    await deliver(events);
    return { outcome: 'paid', redirectUrl: current.successUrl };
  }

  async function loadSubscription(subscriptionId: string) {
    const item = await table.get({ pk: SUBSCRIPTIONS, sk: subscriptionId });
    return item ? SandboxSubscription.parse(item) : undefined;
  }

  const payments: Payments = {
    async createCheckout(request: CheckoutRequest) {
      const now = clock.now();
      const sessionId = newId(now);
      const record: SandboxSession = {
        sessionId,
        kind: request.kind,
        userId: request.userId,
        email: request.email ?? null,
        videoId: request.videoId ?? null,
        title: request.title ?? null,
        amountJpy: request.amountJpy ?? 0,
        successUrl: request.successUrl,
        cancelUrl: request.cancelUrl,
        status: 'open',
        createdAt: now,
      };
      await table.put({ ...sessionKey(sessionId), ...record, ttl: Math.floor(now / 1000) + SESSION_TTL_S });
      const lang = request.locale ? `?lang=${request.locale}` : '';
      return { checkoutUrl: `${publicUrl}${SANDBOX_PATH}checkout/${sessionId}${lang}` };
    },
    parseWebhook: stripeWebhookParser({ webhookSecret: options.webhookSecret, clock }),
    cancelSubscription: (subscriptionId) => setCancelAtPeriodEnd(subscriptionId, true),
    resumeSubscription: (subscriptionId) => setCancelAtPeriodEnd(subscriptionId, false),
  };

  /** Stripe's `cancel_at_period_end` on a live plan, and the `customer.subscription.updated` it sends. */
  async function setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean): Promise<void> {
    const subscription = await loadSubscription(subscriptionId);
    if (!subscription || subscription.status === 'ended' || subscription.cancelAtPeriodEnd === cancel) return;
    const next = { ...subscription, cancelAtPeriodEnd: cancel };
    await commitAndSend(
      [{ put: { pk: SUBSCRIPTIONS, sk: subscriptionId, ...next } }],
      [prepare('customer.subscription.updated', subscriptionObject(next))],
    );
  }

  let ticking: Promise<number> | undefined;
  /** Renews (invoice.paid) or ends (customer.subscription.deleted) plans whose period is over; retries deliveries. */
  async function runTick(): Promise<number> {
    let sent = 0;
    const now = clock.now();
    const pending = await table.query({ partition: PENDING, limit: 100 });
    for (const item of pending.items) {
      const { body, attempts } = Pending.parse(item);
      await attempt(item.sk, body, attempts);
      sent++;
    }
    let cursor: string | undefined;
    do {
      const page = await table.query({ partition: SUBSCRIPTIONS, limit: 200, ...(cursor ? { cursor } : {}) });
      for (const item of page.items) {
        let subscription = SandboxSubscription.parse(item);
        if (subscription.status === 'ended') continue;
        // A clock moved months ahead pays each missed month, as Stripe would have.
        for (let months = 0; subscription.periodEnd <= now && months < 36; months++) {
          if (subscription.cancelAtPeriodEnd) {
            subscription = { ...subscription, status: 'ended' };
            await commitAndSend(
              [{ put: { pk: SUBSCRIPTIONS, sk: subscription.subscriptionId, ...subscription } }],
              [prepare('customer.subscription.deleted', subscriptionObject(subscription))],
            );
            sent++;
            break;
          }
          subscription = {
            ...subscription,
            periodStart: subscription.periodEnd,
            periodEnd: addMonth(subscription.periodEnd),
          };
          await commitAndSend(
            [{ put: { pk: SUBSCRIPTIONS, sk: subscription.subscriptionId, ...subscription } }],
            [invoicePaid(subscription, 'subscription_cycle')],
          );
          sent++;
        }
      }
      cursor = page.cursor;
    } while (cursor);
    return sent;
  }

  /** A refund as the Stripe dashboard would make it (charge.refunded, fully refunded). */
  async function refund(sessionId: string) {
    const current = await session(sessionId);
    if (!current || current.kind !== 'rental' || current.status !== 'paid') return false;
    await send('charge.refunded', {
      id: `ch_sandbox_${current.sessionId}`,
      object: 'charge',
      amount: current.amountJpy,
      amount_refunded: current.amountJpy,
      refunded: true,
      currency: 'jpy',
      payment_intent: `pi_sandbox_${current.sessionId}`,
    });
    return true;
  }

  return {
    payments,
    session,
    pay,
    refund,
    /** Calls never overlap: a tick already running is awaited instead. Returns the events sent. */
    tick(): Promise<number> {
      ticking ??= runTick().finally(() => {
        ticking = undefined;
      });
      return ticking;
    },
  };
}

export type SandboxPayments = ReturnType<typeof sandboxPayments>;
