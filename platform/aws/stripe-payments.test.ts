import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { WebhookSignatureError } from '#shared/ports/payments.js';
import { stripeWebhookParser } from '#protocol/stripe-webhook.js';
import { stripePayments } from './stripe-payments.js';

const SECRET = 'whsec_unit';
const NOW = Date.UTC(2030, 0, 1, 12);
const clock = { now: () => NOW };
const created = Math.floor(NOW / 1000);

const signed = (type: string, object: Record<string, unknown>, options: { at?: number; id?: string } = {}) => {
  const payload = JSON.stringify({ id: options.id ?? 'evt_1', object: 'event', type, created, data: { object } });
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: SECRET,
    timestamp: Math.floor((options.at ?? NOW) / 1000),
  });
  return [payload, header] as const;
};

describe('stripeWebhookParser', () => {
  const parse = stripeWebhookParser({ webhookSecret: SECRET, clock });

  it('turns a paid rental checkout into rental.paid (JPY, metadata, payment intent)', async () => {
    const fact = await parse(
      ...signed('checkout.session.completed', {
        id: 'cs_1',
        mode: 'payment',
        payment_status: 'paid',
        client_reference_id: 'u1',
        metadata: { kind: 'rental', userId: 'u1', videoId: 'v1' },
        payment_intent: 'pi_1',
        amount_total: 400,
        currency: 'jpy',
      }),
    );
    expect(fact).toEqual({
      kind: 'rental.paid',
      eventId: 'evt_1',
      at: created * 1000,
      userId: 'u1',
      videoId: 'v1',
      paymentId: 'pi_1',
      amountJpy: 400,
    });
  });

  it('ignores unpaid sessions and events it does not act on', async () => {
    const unpaid = signed('checkout.session.completed', {
      id: 'cs_1',
      mode: 'payment',
      payment_status: 'unpaid',
      metadata: { kind: 'rental', userId: 'u1', videoId: 'v1' },
      payment_intent: 'pi_1',
      currency: 'jpy',
    });
    expect(await parse(...unpaid)).toBeNull();
    expect(await parse(...signed('customer.created', { id: 'cus_1' }))).toBeNull();
  });

  it('maps the subscription lifecycle: checkout owner, invoice.paid period, updates, failure, deletion', async () => {
    expect(
      await parse(
        ...signed('checkout.session.completed', {
          id: 'cs_2',
          mode: 'subscription',
          payment_status: 'paid',
          client_reference_id: 'u1',
          metadata: { kind: 'subscription', userId: 'u1' },
          subscription: 'sub_1',
        }),
      ),
    ).toMatchObject({ kind: 'subscription', subscriptionId: 'sub_1', userId: 'u1' });
    expect(
      await parse(
        ...signed('invoice.paid', {
          id: 'in_1',
          parent: { subscription_details: { subscription: 'sub_1', metadata: { userId: 'u1' } } },
          lines: { data: [{ period: { start: created, end: created + 2592000 } }] },
        }),
      ),
    ).toMatchObject({ state: 'active', periodEnd: (created + 2592000) * 1000, userId: 'u1' });
    // The older API shape (invoice.subscription) is read too.
    expect(
      await parse(...signed('invoice.payment_failed', { id: 'in_2', subscription: 'sub_1', lines: { data: [] } })),
    ).toMatchObject({ subscriptionId: 'sub_1', state: 'past_due' });
    expect(
      await parse(
        ...signed('customer.subscription.updated', {
          id: 'sub_1',
          status: 'active',
          cancel_at_period_end: true,
          metadata: { userId: 'u1' },
          items: { data: [{ current_period_end: created + 100 }] },
        }),
      ),
    ).toMatchObject({ state: 'active', cancelAtPeriodEnd: true, periodEnd: (created + 100) * 1000 });
    const pastDue = await parse(
      ...signed('customer.subscription.updated', {
        id: 'sub_1',
        status: 'past_due',
        cancel_at_period_end: false,
        items: { data: [{ current_period_end: created + 100 }] },
      }),
    );
    expect(pastDue).toMatchObject({ state: 'past_due' });
    expect(pastDue).not.toHaveProperty('periodEnd');
    expect(await parse(...signed('customer.subscription.deleted', { id: 'sub_1', status: 'canceled' }))).toMatchObject({
      state: 'ended',
    });
  });

  it('maps full refunds only', async () => {
    expect(
      await parse(...signed('charge.refunded', { id: 'ch_1', payment_intent: 'pi_1', refunded: true })),
    ).toMatchObject({ kind: 'rental.refunded', paymentId: 'pi_1' });
    expect(
      await parse(...signed('charge.refunded', { id: 'ch_1', payment_intent: 'pi_1', refunded: false })),
    ).toBeNull();
  });

  it('refuses missing, wrong and stale signatures (300 s by the given clock)', async () => {
    const [payload, header] = signed('charge.refunded', { id: 'ch_1', payment_intent: 'pi_1', refunded: true });
    await expect(parse(payload, undefined)).rejects.toThrow(WebhookSignatureError);
    await expect(parse(payload, header.replace(/v1=./, 'v1=0'))).rejects.toThrow(/does not match/);
    await expect(parse(payload.replace('pi_1', 'pi_2'), header)).rejects.toThrow(/does not match/);
    await expect(parse(...signed('x', {}, { at: NOW - 301_000 }))).rejects.toThrow(/too old/);
    await expect(parse(...signed('x', {}, { at: NOW - 299_000 }))).resolves.toBeNull();
  });
});

describe('stripePayments.createCheckout', () => {
  function fakeStripe() {
    const requests: { url: string; method: string; body: URLSearchParams }[] = [];
    const fetchFn = async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      requests.push({ url, method: init?.method ?? 'GET', body: new URLSearchParams(String(init?.body ?? '')) });
      const body = url.includes('/v1/prices')
        ? { object: 'list', data: [{ id: 'price_looked_up', object: 'price' }], has_more: false }
        : url.includes('/v1/subscriptions/')
          ? { id: 'sub_1', object: 'subscription' }
          : { id: 'cs_1', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_1' };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    return { requests, httpClient: Stripe.createFetchHttpClient(fetchFn as typeof fetch) };
  }

  it('a rental is a payment-mode session in JPY at the title’s price, with our metadata', async () => {
    const { requests, httpClient } = fakeStripe();
    const payments = stripePayments({
      apiKey: 'sk_test_1',
      webhookSecret: SECRET,
      planPriceId: 'price_1',
      httpClient,
      clock: { now: () => Date.UTC(2030, 0, 1) },
    });
    const result = await payments.createCheckout({
      kind: 'rental',
      userId: 'u1',
      email: 'u1@example.com',
      videoId: 'v1',
      title: '東京物語',
      amountJpy: 400,
      successUrl: 'https://kinema.app/videos/v1?checkout=success',
      cancelUrl: 'https://kinema.app/videos/v1?checkout=cancel',
      locale: 'ja',
    });
    expect(result).toEqual({ checkoutUrl: 'https://checkout.stripe.com/c/pay/cs_1' });
    const [request] = requests;
    expect(request?.url).toBe('https://api.stripe.com/v1/checkout/sessions');
    expect(Object.fromEntries(request!.body)).toMatchObject({
      mode: 'payment',
      client_reference_id: 'u1',
      customer_email: 'u1@example.com',
      'line_items[0][price_data][currency]': 'jpy',
      'line_items[0][price_data][unit_amount]': '400',
      'line_items[0][price_data][product_data][name]': '東京物語',
      'metadata[kind]': 'rental',
      'metadata[userId]': 'u1',
      'metadata[videoId]': 'v1',
      'payment_intent_data[metadata][videoId]': 'v1',
      success_url: 'https://kinema.app/videos/v1?checkout=success',
      // Stripe's page in the site's language, not the browser's.
      locale: 'ja',
      // 30 minutes, not Stripe's 24 h default: an old price cannot be paid long after a change.
      expires_at: String(Date.UTC(2030, 0, 1) / 1000 + 30 * 60),
    });
  });

  it('the plan is a subscription-mode session on the configured (or looked-up) price', async () => {
    const { requests, httpClient } = fakeStripe();
    const payments = stripePayments({
      apiKey: 'sk_test_1',
      webhookSecret: SECRET,
      planLookupKey: 'kinema_monthly',
      httpClient,
    });
    await payments.createCheckout({
      kind: 'subscription',
      userId: 'u1',
      successUrl: 'https://a/s',
      cancelUrl: 'https://a/c',
    });
    await payments.createCheckout({
      kind: 'subscription',
      userId: 'u2',
      successUrl: 'https://a/s',
      cancelUrl: 'https://a/c',
    });
    expect(requests.filter((r) => r.url.includes('/v1/prices'))).toHaveLength(1);
    const session = requests.find((r) => r.url.endsWith('/v1/checkout/sessions'))!;
    expect(Object.fromEntries(session.body)).toMatchObject({
      mode: 'subscription',
      'line_items[0][price]': 'price_looked_up',
      'subscription_data[metadata][userId]': 'u1',
    });
    await payments.cancelSubscription('sub_1');
    const cancel = requests.at(-1)!;
    expect(cancel.url).toBe('https://api.stripe.com/v1/subscriptions/sub_1');
    expect(cancel.body.get('cancel_at_period_end')).toBe('true');
    // Keeping the plan withdraws the cancellation on the same subscription.
    await payments.resumeSubscription('sub_1');
    const resume = requests.at(-1)!;
    expect(resume.url).toBe('https://api.stripe.com/v1/subscriptions/sub_1');
    expect(resume.method).toBe('POST');
    expect(Object.fromEntries(resume.body)).toEqual({ cancel_at_period_end: 'false' });
  });
});
