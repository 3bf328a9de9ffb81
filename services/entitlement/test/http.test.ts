import { afterEach, describe, expect, it } from 'vitest';
import { stripeTestSignature } from '#protocol/stripe-webhook.js';
import { entitlementHarness, HOUR, T0, WEBHOOK_SECRET } from './support.js';
import type { EntitlementHarness } from './support.js';

let h: EntitlementHarness;
const open: EntitlementHarness[] = [];
const setup = async () => {
  h = await entitlementHarness();
  open.push(h);
  return h;
};
afterEach(() => {
  for (const harness of open.splice(0)) harness.close();
});

const json = async <T = Record<string, unknown>>(response: Response) => (await response.json()) as T;
type Access = Record<string, { canWatch: boolean; reason: string; expiresAt: string | null }>;
const access = async (videoIds: string[], as?: string, roles?: ('admin' | 'viewer')[]) => {
  const response = await h.call('POST', '/access', { as, roles, body: { videoIds } });
  expect(response.status).toBe(200);
  return json<Access>(response);
};
const errorOf = async (response: Response) =>
  (await json<{ error: { code: string; message: string; details?: Record<string, unknown> } }>(response)).error;

const subscriptionEvents = (userId: string, sub: string, periodEnd: number) => ({
  checkout: {
    id: `evt_cs_${sub}`,
    type: 'checkout.session.completed',
    object: {
      id: `cs_${sub}`,
      mode: 'subscription',
      payment_status: 'paid',
      client_reference_id: userId,
      metadata: { kind: 'subscription', userId },
      subscription: sub,
      payment_intent: null,
      amount_total: 990,
      currency: 'jpy',
    },
  },
  invoice: (eventId: string, end = periodEnd) => ({
    id: eventId,
    type: 'invoice.paid',
    object: {
      id: `in_${eventId}`,
      parent: { subscription_details: { subscription: sub, metadata: { userId } } },
      lines: { data: [{ period: { start: Math.floor(T0 / 1000), end: Math.floor(end / 1000) } }] },
    },
  }),
});

describe('POST /access', () => {
  it('answers a page of 48 titles in one call: free, unknown, unpublished, deleted, rented, plain', async () => {
    await setup();
    const ids = Array.from({ length: 48 }, (_, i) => `v${i}`);
    for (const id of ids.slice(0, 44)) await h.publish(id);
    await h.publish('v44', { freePreview: true });
    await h.publish('v46');
    await h.unpublish('v46');
    await h.publish('v47');
    await h.remove('v47');
    expect((await h.webhook(h.rentalPaid('evt_1', 'u1', 'v1', 'pi_1'))).status).toBe(200);

    const result = await access(ids, 'u1');
    expect(Object.keys(result)).toHaveLength(48);
    expect(result.v0).toEqual({ canWatch: false, reason: 'not_entitled', expiresAt: null });
    expect(result.v1).toEqual({
      canWatch: true,
      reason: 'rental',
      expiresAt: new Date(T0 + 48 * HOUR).toISOString(),
    });
    expect(result.v44).toEqual({ canWatch: true, reason: 'free_preview', expiresAt: null });
    expect(result.v45).toEqual({ canWatch: false, reason: 'not_found', expiresAt: null });
    expect(result.v46).toEqual({ canWatch: false, reason: 'not_published', expiresAt: null });
    expect(result.v47).toEqual({ canWatch: false, reason: 'not_found', expiresAt: null });
    // Anonymous visitors get an answer too (free previews play, the rest shows Rent/Subscribe).
    expect((await access(['v44', 'v1'])).v1).toMatchObject({ canWatch: false, reason: 'not_entitled' });
    expect((await access(['v46'], 'admin1', ['admin'])).v46).toMatchObject({ canWatch: true, reason: 'admin' });
  });

  it('reads the viewer partition in one query and all titles in one batch, however many titles', async () => {
    await setup();
    for (const id of ['a1', 'a2', 'a3']) await h.publish(id);
    let queries = 0;
    let gets = 0;
    const batches: string[][] = [];
    const query = h.table.query.bind(h.table);
    const get = h.table.get.bind(h.table);
    const getMany = h.table.getMany.bind(h.table);
    h.table.query = (q) => {
      queries++;
      return query(q);
    };
    h.table.get = (k) => {
      gets++;
      return get(k);
    };
    h.table.getMany = (keys) => {
      batches.push(keys.map((key) => key.pk));
      return getMany(keys);
    };
    const result = await access(['a1', 'a2', 'a3', 'a1'], 'u1');
    expect(Object.keys(result).sort()).toEqual(['a1', 'a2', 'a3']);
    expect(queries).toBe(1);
    expect(gets).toBe(0);
    expect(batches).toEqual([['video#a1', 'video#a2', 'video#a3']]);
  });

  it('refuses more than 100 ids, bad ids and non-JSON bodies', async () => {
    await setup();
    const many = Array.from({ length: 101 }, (_, i) => `v${i}`);
    expect((await h.call('POST', '/access', { as: 'u1', body: { videoIds: many } })).status).toBe(400);
    expect((await h.call('POST', '/access', { as: 'u1', body: { videoIds: ['../x'] } })).status).toBe(400);
    const text = await h.app.request('/access', { method: 'POST', body: 'videoIds=a' });
    expect(text.status).toBe(415);
  });
});

describe('rentals through the webhook', () => {
  it('records a paid rental with its event in the outbox; watchable until +48 h to the second', async () => {
    await setup();
    await h.publish('v1');
    const response = await h.webhook(h.rentalPaid('evt_1', 'u1', 'v1', 'pi_1'));
    expect(await json(response)).toEqual({ received: true, outcome: 'recorded' });
    const purchased = h.outbox().filter((e) => e['detail-type'] === 'RentalPurchased');
    expect(purchased).toHaveLength(1);
    expect(purchased[0]!.detail).toMatchObject({
      userId: 'u1',
      videoId: 'v1',
      purchasedAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 48 * HOUR).toISOString(),
      reminderAt: new Date(T0 + 43 * HOUR).toISOString(),
    });
    h.clock.at = T0 + 48 * HOUR - 1000;
    expect((await access(['v1'], 'u1')).v1!.canWatch).toBe(true);
    h.clock.at = T0 + 48 * HOUR + 1000;
    expect((await access(['v1'], 'u1')).v1).toEqual({ canWatch: false, reason: 'not_entitled', expiresAt: null });
    const me = await json<{ rentals: unknown[] }>(await h.call('GET', '/me', { as: 'u1' }));
    expect(me.rentals).toEqual([]);
  });

  it('answers a replayed event as a duplicate and records nothing more', async () => {
    await setup();
    await h.publish('v1');
    const event = h.rentalPaid('evt_1', 'u1', 'v1', 'pi_1');
    expect(await json(await h.webhook(event))).toMatchObject({ outcome: 'recorded' });
    expect(await json(await h.webhook(event))).toMatchObject({ outcome: 'duplicate' });
    // Another event of the same payment (e.g. async_payment_succeeded) does not sell it twice.
    expect(await json(await h.webhook({ ...event, id: 'evt_2' }))).toMatchObject({ outcome: 'unchanged' });
    const sales = await json<{ items: { purchases: number }[] }>(
      await h.call('GET', '/admin/sales', { as: 'admin', roles: ['admin'] }),
    );
    expect(sales.items[0]!.purchases).toBe(1);
    expect(h.outbox().filter((e) => e['detail-type'] === 'RentalPurchased')).toHaveLength(1);
  });

  it('refuses bad, missing, foreign and stale signatures, and grants nothing', async () => {
    await setup();
    await h.publish('v1');
    const event = h.rentalPaid('evt_1', 'u1', 'v1', 'pi_1');
    const refused = [
      await h.webhook(event, { signature: null }),
      await h.webhook(event, { signature: 't=1,v1=deadbeef' }),
      await h.webhook(event, { secret: 'whsec_someone_else' }),
      await h.webhook(event, { signedAt: T0 - 301_000 }),
    ];
    const errors = [];
    for (const response of refused) {
      expect(response.status).toBe(400);
      errors.push(await errorOf(response));
    }
    expect(errors.map((error) => error.code)).toEqual(Array(4).fill('invalid_input'));
    expect(errors[0]!.message).toMatch(/missing/);
    expect(errors[3]!.message).toMatch(/too old/);
    expect((await access(['v1'], 'u1')).v1).toMatchObject({ canWatch: false });
    expect(h.outbox().filter((e) => e.source === 'kinema.entitlement')).toEqual([]);
    // Within the 300 s tolerance it is accepted.
    expect((await h.webhook(event, { signedAt: T0 - 299_000 })).status).toBe(200);
  });

  it('rejects a body altered after signing', async () => {
    await setup();
    await h.publish('v1');
    const body = JSON.stringify({ id: 'evt_x', object: 'event', type: 'x', created: 1, data: { object: {} } });
    const signature = await stripeTestSignature(body, WEBHOOK_SECRET, Math.floor(T0 / 1000));
    const response = await h.app.request('/webhooks/stripe', {
      method: 'POST',
      headers: { 'stripe-signature': signature },
      body: body.replace('"x"', '"checkout.session.completed"'),
    });
    expect(response.status).toBe(400);
  });

  it('refuses a payment for a title that does not exist or was deleted; no rental, no event', async () => {
    await setup();
    const unknown = await h.webhook(h.rentalPaid('evt_1', 'u1', 'nosuch', 'pi_1'));
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: 'not_found', details: { videoId: 'nosuch' } });
    await h.publish('gone');
    await h.remove('gone');
    expect((await h.webhook(h.rentalPaid('evt_2', 'u1', 'gone', 'pi_2'))).status).toBe(404);
    expect(h.outbox().filter((e) => e.source === 'kinema.entitlement')).toEqual([]);
    const me = await json<{ rentals: unknown[] }>(await h.call('GET', '/me', { as: 'u1' }));
    expect(me.rentals).toEqual([]);
  });

  it('refuses a payment at a price the title no longer has (changed after checkout opened)', async () => {
    await setup();
    await h.publish('v1', { priceJpy: 5000 });
    // Checkout opened at ¥800; the admin raised the price to ¥5,000 before the viewer paid.
    const stale = await h.webhook(h.rentalPaid('evt_1', 'u1', 'v1', 'pi_1', 800));
    expect(stale.status).toBe(409);
    expect(await errorOf(stale)).toMatchObject({ code: 'conflict', details: { reason: 'price_changed' } });
    expect(h.outbox().filter((e) => e.source === 'kinema.entitlement')).toEqual([]);
    const me = await json<{ rentals: unknown[] }>(await h.call('GET', '/me', { as: 'u1' }));
    expect(me.rentals).toEqual([]);
    expect((await h.webhook(h.rentalPaid('evt_2', 'u1', 'v1', 'pi_2', 5000))).status).toBe(200);
  });

  it('two concurrent purchases of one title: both recorded, sales 2, one window from the later one', async () => {
    await setup();
    await h.publish('v1');
    await h.webhook(h.rentalPaid('evt_0', 'other', 'v1', 'pi_0'));
    const first = h.rentalPaid('evt_1', 'u1', 'v1', 'pi_1');
    const second = { ...h.rentalPaid('evt_2', 'u1', 'v1', 'pi_2'), created: Math.floor((T0 + 10 * HOUR) / 1000) };
    h.clock.at = T0 + 10 * HOUR;
    const results = await Promise.all([h.webhook(first), h.webhook(second)]);
    for (const response of results) expect(await json(response)).toMatchObject({ outcome: 'recorded' });
    const sales = await json<{ items: Record<string, unknown>[] }>(
      await h.call('GET', '/admin/sales', { as: 'admin', roles: ['admin'] }),
    );
    expect(sales.items).toEqual([
      { videoId: 'v1', title: 'Title v1', purchases: 3, refunds: 0, revenueJpy: 1200, activeRentals: 2 },
    ]);
    expect(h.outbox().filter((e) => e['detail-type'] === 'RentalPurchased')).toHaveLength(3);
    const me = await json<{ rentals: { expiresAt: string }[] }>(await h.call('GET', '/me', { as: 'u1' }));
    expect(me.rentals).toEqual([
      expect.objectContaining({ videoId: 'v1', expiresAt: new Date(T0 + 58 * HOUR).toISOString() }),
    ]);
    h.clock.at = T0 + 50 * HOUR;
    expect((await access(['v1'], 'u1')).v1).toMatchObject({ canWatch: true, reason: 'rental' });
  });

  it('a refund ends access at once and is counted; a refund before its payment still wins', async () => {
    await setup();
    await h.publish('v1');
    await h.publish('v2');
    await h.webhook(h.rentalPaid('evt_1', 'u1', 'v1', 'pi_1'));
    const refund = (eventId: string, paymentId: string) => ({
      id: eventId,
      type: 'charge.refunded',
      object: { id: `ch_${paymentId}`, payment_intent: paymentId, refunded: true },
    });
    h.clock.at = T0 + HOUR;
    expect(await json(await h.webhook(refund('evt_r1', 'pi_1')))).toMatchObject({ outcome: 'recorded' });
    expect((await access(['v1'], 'u1')).v1).toMatchObject({ canWatch: false, reason: 'not_entitled' });
    expect(h.outbox().filter((e) => e['detail-type'] === 'RentalRefunded')).toHaveLength(1);
    // Out of order: the refund arrives first, then the payment.
    expect(await json(await h.webhook(refund('evt_r2', 'pi_2')))).toMatchObject({ outcome: 'unchanged' });
    await h.webhook(h.rentalPaid('evt_2', 'u1', 'v2', 'pi_2'));
    expect((await access(['v2'], 'u1')).v2).toMatchObject({ canWatch: false });
    const sales = await json<{ items: Record<string, unknown>[] }>(
      await h.call('GET', '/admin/sales', { as: 'admin', roles: ['admin'] }),
    );
    expect(sales.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ videoId: 'v1', purchases: 1, refunds: 1, revenueJpy: 0, activeRentals: 0 }),
        expect.objectContaining({ videoId: 'v2', purchases: 1, refunds: 1, revenueJpy: 0, activeRentals: 0 }),
      ]),
    );
  });
});

describe('the monthly plan', () => {
  it('starts on invoice.paid, covers every title, a cancelled one until the period ends', async () => {
    await setup();
    await h.publish('v1');
    await h.publish('v2');
    const periodEnd = T0 + 30 * 24 * HOUR;
    const sub = subscriptionEvents('u1', 'sub_1', periodEnd);
    expect(await json(await h.webhook(sub.checkout))).toMatchObject({ outcome: 'unchanged' });
    expect(await json(await h.webhook(sub.invoice('evt_in1')))).toMatchObject({ outcome: 'recorded' });
    expect(await access(['v1', 'v2'], 'u1')).toEqual({
      v1: { canWatch: true, reason: 'subscription', expiresAt: new Date(periodEnd).toISOString() },
      v2: { canWatch: true, reason: 'subscription', expiresAt: new Date(periodEnd).toISOString() },
    });
    const me = await json<Record<string, unknown>>(await h.call('GET', '/me', { as: 'u1' }));
    expect(me).toMatchObject({
      plan: 'unlimited',
      subscription: { status: 'active', periodEnd: new Date(periodEnd).toISOString(), cancelAtPeriodEnd: false },
    });

    // A second subscription while active is refused.
    const again = await h.call('POST', '/checkout', { as: 'u1', body: { kind: 'subscription' } });
    expect(again.status).toBe(409);

    const cancel = await h.call('POST', '/subscription/cancel', { as: 'u1' });
    expect(cancel.status).toBe(200);
    expect(await json(cancel)).toMatchObject({ subscription: { status: 'cancelled', cancelAtPeriodEnd: true } });
    expect(h.cancelled).toEqual(['sub_1']);
    expect(h.outbox().map((e) => e['detail-type'])).toEqual(
      expect.arrayContaining(['SubscriptionStarted', 'SubscriptionCancelled']),
    );
    // "Keep my plan" before the period ends: the provider is told, the plan is active again.
    const resume = await h.call('POST', '/subscription/resume', { as: 'u1' });
    expect(resume.status).toBe(200);
    expect(await json(resume)).toMatchObject({ subscription: { status: 'active', cancelAtPeriodEnd: false } });
    expect(h.resumed).toEqual(['sub_1']);
    // Resuming an active plan asks the provider nothing.
    expect((await h.call('POST', '/subscription/resume', { as: 'u1' })).status).toBe(200);
    expect(h.resumed).toEqual(['sub_1']);
    // Nobody else's plan: 404.
    expect((await h.call('POST', '/subscription/resume', { as: 'u2' })).status).toBe(404);
    h.clock.at += 1;
    expect((await h.call('POST', '/subscription/cancel', { as: 'u1' })).status).toBe(200);
    expect(h.cancelled).toEqual(['sub_1', 'sub_1']);
    // A stale "not cancelled" update from before the cancel changes nothing.
    await h.webhook({
      id: 'evt_old_update',
      type: 'customer.subscription.updated',
      created: Math.floor((T0 - HOUR) / 1000),
      object: {
        id: 'sub_1',
        status: 'active',
        cancel_at_period_end: false,
        metadata: { userId: 'u1' },
        items: { data: [{ current_period_end: Math.floor(periodEnd / 1000) }] },
      },
    });
    h.clock.at = periodEnd - 1000;
    expect((await access(['v1'], 'u1')).v1).toMatchObject({ canWatch: true, reason: 'subscription' });
    h.clock.at = periodEnd;
    expect((await access(['v1'], 'u1')).v1).toMatchObject({ canWatch: false, reason: 'not_entitled' });
    await h.webhook({
      id: 'evt_deleted',
      type: 'customer.subscription.deleted',
      object: { id: 'sub_1', status: 'canceled', cancel_at_period_end: true, metadata: { userId: 'u1' } },
    });
    expect(await json(await h.call('GET', '/me', { as: 'u1' }))).toMatchObject({
      plan: 'none',
      subscription: { status: 'ended' },
    });
    expect(h.outbox().filter((e) => e['detail-type'] === 'SubscriptionEnded')).toHaveLength(1);
  });

  it('out of order: renewal before the first invoice, deletion before a late invoice', async () => {
    await setup();
    await h.publish('v1');
    const month = 30 * 24 * HOUR;
    const sub = subscriptionEvents('u1', 'sub_1', T0 + month);
    await h.webhook({ ...sub.invoice('evt_renew', T0 + 2 * month), created: Math.floor((T0 + month) / 1000) });
    await h.webhook(sub.invoice('evt_first'));
    expect((await access(['v1'], 'u1')).v1).toMatchObject({
      reason: 'subscription',
      expiresAt: new Date(T0 + 2 * month).toISOString(),
    });
    // An invoice event without our metadata and no known owner is sent back for redelivery.
    const stranger = await h.webhook({
      id: 'evt_stranger',
      type: 'invoice.paid',
      object: { id: 'in_s', parent: { subscription_details: { subscription: 'sub_x' } }, lines: { data: [] } },
    });
    expect(stranger.status).toBe(409);
  });
});

describe('POST /checkout', () => {
  it('opens a rental checkout at the title’s price with return URLs on the site', async () => {
    await setup();
    await h.publish('v1', { priceJpy: 500 });
    const response = await h.call('POST', '/checkout', { as: 'u1', body: { kind: 'rental', videoId: 'v1' } });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ checkoutUrl: 'https://checkout.test/1' });
    expect(h.checkouts[0]).toMatchObject({
      kind: 'rental',
      userId: 'u1',
      videoId: 'v1',
      amountJpy: 500,
      successUrl: 'http://localhost:3000/videos/v1?checkout=success',
      cancelUrl: 'http://localhost:3000/videos/v1?checkout=cancel',
    });
  });

  it('refuses free, unpublished and unknown titles, open redirects, and anonymous callers', async () => {
    await setup();
    await h.publish('free', { freePreview: true });
    await h.publish('hidden');
    await h.unpublish('hidden');
    const rent = (videoId: string, extra: Record<string, unknown> = {}) =>
      h.call('POST', '/checkout', { as: 'u1', body: { kind: 'rental', videoId, ...extra } });
    expect(await errorOf(await rent('free'))).toMatchObject({ code: 'conflict', details: { reason: 'free_preview' } });
    expect(await errorOf(await rent('hidden'))).toMatchObject({
      code: 'conflict',
      details: { reason: 'not_published' },
    });
    expect((await rent('nosuch')).status).toBe(404);
    expect((await rent('free', { returnPath: '//evil.example/' })).status).toBe(400);
    expect((await h.call('POST', '/checkout', { body: { kind: 'subscription' } })).status).toBe(401);
    expect(h.checkouts).toEqual([]);
  });
});

describe('POST /playback/:videoId', () => {
  it('decides from the store, not the token’s plan claim; cookies never outlive the rental', async () => {
    await setup();
    await h.publish('v1');
    // A token claiming the unlimited plan is not an entitlement.
    const claimed = await h.app.request('/playback/v1', {
      method: 'POST',
      headers: await h.auth.bearer('u1', ['viewer'], { 'https://kinema.app/plan': 'unlimited' }),
    });
    expect(claimed.status).toBe(402);

    await h.webhook(h.rentalPaid('evt_1', 'u1', 'v1', 'pi_1'));
    h.clock.at = T0 + 48 * HOUR - 90_500;
    const granted = await h.call('POST', '/playback/v1', { as: 'u1' });
    expect(granted.status).toBe(200);
    const end = Math.floor((T0 + 48 * HOUR) / 1000);
    expect(h.signerCalls.at(-1)).toEqual({
      resource: 'http://localhost:3000/media/videos/v1/hls/*',
      dateLessThan: end,
    });
    expect(await json(granted)).toMatchObject({ reason: 'rental', expiresAt: new Date(end * 1000).toISOString() });

    h.clock.at = T0 + 48 * HOUR + 1000;
    const ended = await h.call('POST', '/playback/v1', { as: 'u1' });
    expect(ended.status).toBe(402);
    expect(await errorOf(ended)).toMatchObject({
      code: 'payment_required',
      details: { reason: 'not_entitled', rentalEndedAt: new Date(T0 + 48 * HOUR).toISOString() },
    });
  });

  it('refuses unpublished (409) and deleted or unknown (404) titles even to a subscriber', async () => {
    await setup();
    await h.publish('v1');
    await h.publish('v2');
    const sub = subscriptionEvents('u1', 'sub_1', T0 + 100 * HOUR);
    await h.webhook(sub.invoice('evt_in'));
    expect((await h.call('POST', '/playback/v1', { as: 'u1' })).status).toBe(200);
    await h.unpublish('v1');
    await h.remove('v2');
    const hidden = await h.call('POST', '/playback/v1', { as: 'u1' });
    expect(hidden.status).toBe(409);
    expect((await errorOf(hidden)).details).toEqual({ reason: 'not_published' });
    expect((await h.call('POST', '/playback/v2', { as: 'u1' })).status).toBe(404);
    expect((await h.call('POST', '/playback/v3', { as: 'u1' })).status).toBe(404);
    // Admins may still watch an unpublished title.
    expect((await h.call('POST', '/playback/v1', { as: 'a', roles: ['admin'] })).status).toBe(200);
  });
});

describe('GET /admin/sales', () => {
  it('is for admins only', async () => {
    await setup();
    expect((await h.call('GET', '/admin/sales')).status).toBe(401);
    expect((await h.call('GET', '/admin/sales', { as: 'u1' })).status).toBe(403);
  });
});
