import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { entitlementHarness, HOUR, T0 } from '#services/entitlement/test/support.js';
import type { EntitlementHarness } from '#services/entitlement/test/support.js';
import { entitlementStore } from '#services/entitlement/src/store.js';
import { sandboxCheckoutListener } from '#platform/local/sandbox-checkout-page.js';
import { addMonth, SANDBOX_CARD_PAYS, sandboxPayments, signStripePayload } from '#platform/local/sandbox-payments.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';

const SECRET = 'whsec_sandbox_test';
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

/** The entitlement app with the sandbox as its payment provider, delivering in-process. */
async function sandboxed() {
  const deliveries: { status: number; body: string }[] = [];
  const holder: { sandbox?: ReturnType<typeof sandboxPayments> } = {};
  const h = await entitlementHarness({
    payments: {
      createCheckout: (request) => holder.sandbox!.payments.createCheckout(request),
      parseWebhook: (raw, signature) => holder.sandbox!.payments.parseWebhook(raw, signature),
      cancelSubscription: (id) => holder.sandbox!.payments.cancelSubscription(id),
      resumeSubscription: (id) => holder.sandbox!.payments.resumeSubscription(id),
    },
  });
  const app: EntitlementHarness['app'] = h.app;
  const titles = entitlementStore(h.table, { now: () => h.clock.now() });
  holder.sandbox = sandboxPayments({
    table: h.table,
    clock: h.clock,
    publicUrl: 'http://localhost:3000',
    webhookSecret: SECRET,
    // As the standalone server wires it: the price entitlement knows now.
    rentalPriceNow: async (videoId) => (await titles.videoFacts(videoId))?.priceJpy,
    deliver: async (body, signature) => {
      const response = await app.request('/webhooks/stripe', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body,
      });
      deliveries.push({ status: response.status, body: await response.text() });
      return { status: response.status };
    },
  });
  cleanup.push(() => h.close());
  const sessionOf = (checkoutUrl: string) => checkoutUrl.split('/').at(-1)!;
  const access = async (videoId: string, as = 'u1') =>
    (
      (await (await h.call('POST', '/access', { as, body: { videoIds: [videoId] } })).json()) as Record<
        string,
        { canWatch: boolean; reason: string; expiresAt: string | null }
      >
    )[videoId]!;
  return { h, sandbox: holder.sandbox, deliveries, sessionOf, access };
}

describe('sandbox payments, end to end in-process', () => {
  it('checkout → pay → signed webhook → RentalPurchased in the outbox → watchable until +48 h', async () => {
    const { h, sandbox, deliveries, sessionOf, access } = await sandboxed();
    await h.publish('v1', { priceJpy: 300 });
    const response = await h.call('POST', '/checkout', { as: 'u1', body: { kind: 'rental', videoId: 'v1' } });
    const { checkoutUrl } = (await response.json()) as { checkoutUrl: string };
    expect(checkoutUrl).toMatch(/^http:\/\/localhost:3000\/_sandbox\/checkout\/[0-9a-z]{26}$/);
    expect(await access('v1')).toMatchObject({ canWatch: false });

    const paid = await sandbox.pay(sessionOf(checkoutUrl), '4242 4242 4242 4242');
    expect(paid).toEqual({ outcome: 'paid', redirectUrl: 'http://localhost:3000/videos/v1?checkout=success' });
    expect(deliveries).toEqual([{ status: 200, body: JSON.stringify({ received: true, outcome: 'recorded' }) }]);
    const purchased = h.outbox().filter((e) => e['detail-type'] === 'RentalPurchased');
    expect(purchased).toHaveLength(1);
    expect(purchased[0]!.detail).toMatchObject({ userId: 'u1', videoId: 'v1' });
    // Paying the same session again does nothing.
    expect((await sandbox.pay(sessionOf(checkoutUrl), '4242424242424242')).outcome).toBe('closed');
    expect(deliveries).toHaveLength(1);

    h.clock.at = T0 + 48 * HOUR - 1000;
    expect(await access('v1')).toEqual({
      canWatch: true,
      reason: 'rental',
      expiresAt: new Date(T0 + 48 * HOUR).toISOString(),
    });
    h.clock.at = T0 + 48 * HOUR;
    expect(await access('v1')).toMatchObject({ canWatch: false, reason: 'not_entitled' });
  });

  it('keeps a payment’s events before delivering them, so a crash in between loses no payment', async () => {
    const table = sqliteTable({ file: ':memory:' });
    cleanup.push(() => table.close());
    const clock = { now: () => T0 };
    let fail = true;
    const pendingAtDelivery: number[] = [];
    const sandbox = sandboxPayments({
      table,
      clock,
      publicUrl: 'http://localhost:3000',
      webhookSecret: SECRET,
      deliver: async () => {
        pendingAtDelivery.push((await table.query({ partition: 'sandbox-undelivered', limit: 10 })).items.length);
        if (fail) throw new Error('the server died before the webhook left');
        return { status: 200 };
      },
    });
    const { checkoutUrl } = await sandbox.payments.createCheckout({
      kind: 'subscription',
      userId: 'u1',
      amountJpy: 990,
      successUrl: 'http://localhost:3000/account?checkout=success',
      cancelUrl: 'http://localhost:3000/account?checkout=cancel',
    });
    expect((await sandbox.pay(checkoutUrl.split('/').at(-1)!, SANDBOX_CARD_PAYS)).outcome).toBe('paid');
    // Both events (checkout completed, first invoice) were durable before the first delivery began.
    expect(pendingAtDelivery).toEqual([2, 2]);
    fail = false;
    expect(await sandbox.tick()).toBe(2);
    expect((await table.query({ partition: 'sandbox-undelivered', limit: 10 })).items).toEqual([]);
  });

  it('a declined card records nothing and sends no webhook', async () => {
    const { h, sandbox, deliveries, sessionOf, access } = await sandboxed();
    await h.publish('v1');
    const { checkoutUrl } = (await (
      await h.call('POST', '/checkout', { as: 'u1', body: { kind: 'rental', videoId: 'v1' } })
    ).json()) as { checkoutUrl: string };
    expect(await sandbox.pay(sessionOf(checkoutUrl), '1234')).toEqual({ outcome: 'invalid_card' });
    expect(await sandbox.pay(sessionOf(checkoutUrl), '4000 0000 0000 0002')).toEqual({
      outcome: 'declined',
      redirectUrl: 'http://localhost:3000/videos/v1?checkout=cancel',
    });
    expect(deliveries).toEqual([]);
    expect(h.outbox().filter((e) => e.source === 'kinema.entitlement')).toEqual([]);
    expect(await access('v1')).toMatchObject({ canWatch: false });
  });

  it('voids a rental session whose price changed after it opened: nothing charged, nothing granted', async () => {
    const { h, sandbox, deliveries, sessionOf, access } = await sandboxed();
    await h.publish('v1', { priceJpy: 800 });
    const { checkoutUrl } = (await (
      await h.call('POST', '/checkout', { as: 'u1', body: { kind: 'rental', videoId: 'v1' } })
    ).json()) as { checkoutUrl: string };
    h.clock.at += 60_000; // the admin's edit comes after the checkout opened
    await h.publish('v1', { priceJpy: 5000 });
    const outcome = await sandbox.pay(sessionOf(checkoutUrl), '4242 4242 4242 4242');
    expect(outcome).toMatchObject({ outcome: 'price_changed', session: { amountJpy: 800 } });
    expect(await sandbox.session(sessionOf(checkoutUrl))).toMatchObject({ status: 'voided' });
    expect(await sandbox.pay(sessionOf(checkoutUrl), '4242 4242 4242 4242')).toMatchObject({ outcome: 'closed' });
    expect(deliveries).toEqual([]);
    expect(await access('v1')).toMatchObject({ canWatch: false });
  });

  it('a refund from the sandbox ends the rental at once', async () => {
    const { h, sandbox, sessionOf, access } = await sandboxed();
    await h.publish('v1');
    const { checkoutUrl } = (await (
      await h.call('POST', '/checkout', { as: 'u1', body: { kind: 'rental', videoId: 'v1' } })
    ).json()) as { checkoutUrl: string };
    await sandbox.pay(sessionOf(checkoutUrl), '4242424242424242');
    expect(await access('v1')).toMatchObject({ canWatch: true });
    expect(await sandbox.refund(sessionOf(checkoutUrl))).toBe(true);
    expect(await access('v1')).toMatchObject({ canWatch: false });
  });

  it('subscriptions renew on tick() when the clock passes the period, and end after a cancel', async () => {
    const { h, sandbox, sessionOf, access } = await sandboxed();
    await h.publish('v1');
    const { checkoutUrl } = (await (
      await h.call('POST', '/checkout', { as: 'u1', body: { kind: 'subscription' } })
    ).json()) as { checkoutUrl: string };
    await sandbox.pay(sessionOf(checkoutUrl), '4242424242424242');
    const firstEnd = addMonth(T0);
    expect(await access('v1')).toEqual({
      canWatch: true,
      reason: 'subscription',
      expiresAt: new Date(firstEnd).toISOString(),
    });
    expect(await sandbox.tick()).toBe(0);

    h.clock.at = firstEnd + 1000;
    expect(await sandbox.tick()).toBe(1);
    expect(await access('v1')).toMatchObject({ canWatch: true, expiresAt: new Date(addMonth(firstEnd)).toISOString() });
    expect(h.outbox().filter((e) => e['detail-type'] === 'SubscriptionRenewed')).toHaveLength(1);

    expect((await h.call('POST', '/subscription/cancel', { as: 'u1' })).status).toBe(200);
    h.clock.at = addMonth(firstEnd) - 1000;
    expect(await access('v1')).toMatchObject({ canWatch: true });
    h.clock.at = addMonth(firstEnd) + 1000;
    expect(await sandbox.tick()).toBe(1);
    expect(await access('v1')).toMatchObject({ canWatch: false });
    const me = (await (await h.call('GET', '/me', { as: 'u1' })).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ plan: 'none', subscription: { status: 'ended' } });
    expect(h.outbox().map((e) => e['detail-type'])).toEqual(
      expect.arrayContaining(['SubscriptionStarted', 'SubscriptionCancelled', 'SubscriptionEnded']),
    );
  });

  it('puts every sandbox payment in the ledger once: rental, first month, renewal, refund', async () => {
    const { h, sandbox, sessionOf } = await sandboxed();
    await h.publish('v1', { priceJpy: 550 });
    const checkout = async (body: unknown) =>
      sessionOf(
        ((await (await h.call('POST', '/checkout', { as: 'u1', body })).json()) as { checkoutUrl: string }).checkoutUrl,
      );
    const rental = await checkout({ kind: 'rental', videoId: 'v1' });
    await sandbox.pay(rental, '4242424242424242');
    // (The sandbox finds a payment by its checkout session, which lives 30 minutes.)
    h.clock.at = T0 + 10 * 60_000;
    expect(await sandbox.refund(rental)).toBe(true);
    h.clock.at = T0 + 2 * HOUR;
    await sandbox.pay(await checkout({ kind: 'subscription' }), '4242424242424242');
    h.clock.at = addMonth(T0 + 2 * HOUR) + 1000;
    expect(await sandbox.tick()).toBe(1);
    // Undelivered events are retried on tick(); everything already delivered stays one entry.
    expect(await sandbox.tick()).toBe(0);
    const { items } = (await (await h.call('GET', '/payments', { as: 'u1' })).json()) as {
      items: {
        kind: string;
        line: string;
        billing: string | null;
        amountJpy: number;
        taxJpy: number;
        status: string;
      }[];
    };
    expect(items.map((p) => [p.kind, p.line, p.billing, p.amountJpy, p.taxJpy, p.status])).toEqual([
      ['payment', 'subscription', 'renewal', 990, 90, 'paid'],
      ['payment', 'subscription', 'initial', 990, 90, 'paid'],
      ['refund', 'rental', null, 550, 50, 'paid'],
      ['payment', 'rental', null, 550, 50, 'refunded'],
    ]);
  });

  it('signs exactly as Stripe does (Stripe’s own verifier accepts it)', () => {
    const body = JSON.stringify({ id: 'evt_1', object: 'event' });
    const header = signStripePayload(body, SECRET, Math.floor(Date.now() / 1000));
    expect(Stripe.webhooks.constructEvent(body, header, SECRET, 300)).toMatchObject({ id: 'evt_1' });
    expect(addMonth(Date.UTC(2030, 0, 31))).toBe(Date.UTC(2030, 1, 28));
  });
});

describe('the sandbox checkout page', () => {
  async function served() {
    const setup = await sandboxed();
    const listener = sandboxCheckoutListener(setup.sandbox, { publicUrl: 'http://localhost:3000' });
    const server = createServer(listener);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    cleanup.push(() => new Promise<void>((done) => server.close(() => done())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await setup.h.publish('v1', { priceJpy: 1200 });
    const { checkoutUrl } = (await (
      await setup.h.call('POST', '/checkout', { as: 'u1', body: { kind: 'rental', videoId: 'v1' } })
    ).json()) as { checkoutUrl: string };
    const path = new URL(checkoutUrl).pathname;
    return { ...setup, base, path };
  }
  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });

  it('renders the card form in Japanese or English with the price and the test buttons', async () => {
    const { base, path } = await served();
    const ja = await fetch(`${base}${path}`, { headers: { 'accept-language': 'ja,en;q=0.5' } });
    expect(ja.status).toBe(200);
    const html = await ja.text();
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain('￥1,200');
    expect(html).toContain('data-testid="sandbox-pay"');
    expect(html).toContain('data-testid="sandbox-decline"');
    expect(ja.headers.get('content-security-policy')).toContain("default-src 'none'");
    const en = await (await fetch(`${base}${path}?lang=en`)).text();
    expect(en).toContain('Pay ￥1,200');
    expect((await fetch(`${base}/_sandbox/checkout/nosuch`)).status).toBe(404);
  });

  it('pay redirects to the success URL and fulfils; decline to the cancel URL; other origins refused', async () => {
    const { base, path, access } = await served();
    expect(
      (await post(`${base}${path}`, { action: 'pay', card: '4242' }, { origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect((await post(`${base}${path}`, { action: 'pay', card: '5555' })).status).toBe(422);
    const paid = await post(`${base}${path}`, { action: 'pay', card: '4242 4242 4242 4242' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe('http://localhost:3000/videos/v1?checkout=success');
    expect(await access('v1')).toMatchObject({ canWatch: true, reason: 'rental' });
    expect((await fetch(`${base}${path}`)).status).toBe(409);
  });

  it('decline sends the viewer back with nothing bought', async () => {
    const { base, path, access, deliveries } = await served();
    const declined = await post(`${base}${path}`, { action: 'decline', card: '4242 4242 4242 4242' });
    expect(declined.status).toBe(303);
    // Declined, not cancelled: the page it lands on says which.
    expect(declined.headers.get('location')).toBe('http://localhost:3000/videos/v1?checkout=declined');
    expect(deliveries).toEqual([]);
    expect(await access('v1')).toMatchObject({ canWatch: false });
  });
});
