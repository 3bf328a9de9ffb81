import { afterEach, describe, expect, it } from 'vitest';
import { entitlementHarness, HOUR, T0 } from './support.js';
import type { EntitlementHarness } from './support.js';

let h: EntitlementHarness;
const open: EntitlementHarness[] = [];
afterEach(() => {
  for (const harness of open.splice(0)) harness.close();
});
const setup = async () => {
  h = await entitlementHarness();
  open.push(h);
  return h;
};

interface Payment {
  receiptNo: string;
  kind: 'payment' | 'refund';
  line: 'rental' | 'subscription';
  at: string;
  amountJpy: number;
  taxJpy: number;
  title: string | null;
  status: string;
  billing: string | null;
  refundOf: string | null;
}
const payments = async (as: string, query = '') => {
  const response = await h.call('GET', `/payments${query}`, { as });
  expect(response.status).toBe(200);
  return (await response.json()) as { items: Payment[]; nextCursor: string | null; taxRatePercent: number };
};
const MONTH = 30 * 24 * HOUR;
const invoice = (eventId: string, userId: string, sub: string, at: number, reason: string, amount = 990) => ({
  id: eventId,
  type: 'invoice.paid',
  created: Math.floor(at / 1000),
  object: {
    id: `in_${eventId}`,
    billing_reason: reason,
    currency: 'jpy',
    amount_paid: amount,
    payment_intent: `pi_${eventId}`,
    parent: { subscription_details: { subscription: sub, metadata: { userId } } },
    lines: { data: [{ period: { start: Math.floor(at / 1000), end: Math.floor((at + MONTH) / 1000) } }] },
  },
});
const refund = (eventId: string, paymentId: string, amount?: number) => ({
  id: eventId,
  type: 'charge.refunded',
  object: {
    id: `ch_${paymentId}`,
    payment_intent: paymentId,
    refunded: true,
    ...(amount ? { amount_refunded: amount } : {}),
  },
});

describe('GET /payments (the ledger)', () => {
  it('records a rental and each plan payment once, with the tax inside, newest first', async () => {
    await setup();
    await h.publish('v1', { priceJpy: 550 });
    await h.webhook(h.rentalPaid('evt_r', 'u1', 'v1', 'pi_r', 550));
    await h.webhook(h.rentalPaid('evt_r', 'u1', 'v1', 'pi_r', 550)); // redelivered
    await h.webhook(h.rentalPaid('evt_r2', 'u1', 'v1', 'pi_r', 550)); // another event of the same payment
    h.clock.at = T0 + HOUR;
    await h.webhook(invoice('evt_i1', 'u1', 'sub_1', T0 + HOUR, 'subscription_create'));
    await h.webhook(invoice('evt_i1', 'u1', 'sub_1', T0 + HOUR, 'subscription_create'));
    h.clock.at = T0 + HOUR + MONTH;
    await h.webhook(invoice('evt_i2', 'u1', 'sub_1', T0 + HOUR + MONTH, 'subscription_cycle'));

    const page = await payments('u1');
    expect(page.taxRatePercent).toBe(10);
    expect(page.items.map((p) => [p.line, p.billing, p.amountJpy, p.taxJpy, p.status])).toEqual([
      ['subscription', 'renewal', 990, 90, 'paid'],
      ['subscription', 'initial', 990, 90, 'paid'],
      ['rental', null, 550, 50, 'paid'],
    ]);
    expect(page.items[2]).toMatchObject({ title: 'Title v1', kind: 'payment' });
    expect(new Set(page.items.map((p) => p.receiptNo)).size).toBe(3);
    // Nobody else sees them; the viewer's id and the provider's ids are not in the answer.
    expect((await payments('u2')).items).toEqual([]);
    expect(JSON.stringify(page)).not.toMatch(/pi_|in_evt|u1/);
    // One receipt by its number.
    const one = await h.call('GET', `/payments/${page.items[2]!.receiptNo}`, { as: 'u1' });
    expect(await one.json()).toMatchObject({ receiptNo: page.items[2]!.receiptNo, amountJpy: 550 });
    expect((await h.call('GET', `/payments/${page.items[2]!.receiptNo}`, { as: 'u2' })).status).toBe(404);
  });

  it('a refund is its own entry and marks the payment refunded; plan payments can be refunded too', async () => {
    await setup();
    await h.publish('v1', { priceJpy: 440 });
    await h.webhook(h.rentalPaid('evt_r', 'u1', 'v1', 'pi_r', 440));
    await h.webhook(invoice('evt_i1', 'u1', 'sub_1', T0, 'subscription_create'));
    h.clock.at = T0 + HOUR;
    await h.webhook(refund('evt_x1', 'pi_r'));
    await h.webhook(refund('evt_x1', 'pi_r'));
    h.clock.at = T0 + 2 * HOUR;
    const planRefund = await h.webhook(refund('evt_x2', 'pi_evt_i1', 990));
    expect(await planRefund.json()).toMatchObject({ outcome: 'recorded' });
    const items = (await payments('u1')).items;
    expect(items.map((p) => [p.kind, p.line, p.amountJpy, p.taxJpy, p.status])).toEqual([
      ['refund', 'subscription', 990, 90, 'paid'],
      ['refund', 'rental', 440, 40, 'paid'],
      ['payment', 'subscription', 990, 90, 'refunded'],
      ['payment', 'rental', 440, 40, 'refunded'],
    ]);
    expect(items[1]!.refundOf).toBe(items[3]!.receiptNo);
  });

  it('a refund that arrives before its payment: both entries appear when the payment does', async () => {
    await setup();
    await h.publish('v1');
    await h.webhook(refund('evt_x', 'pi_1'));
    await h.webhook(h.rentalPaid('evt_p', 'u1', 'v1', 'pi_1'));
    const items = (await payments('u1')).items;
    expect(items.map((p) => [p.kind, p.status])).toEqual(
      expect.arrayContaining([
        ['payment', 'refunded'],
        ['refund', 'paid'],
      ]),
    );
    expect(items).toHaveLength(2);
  });

  it('pages with a cursor; refuses bad input and strangers', async () => {
    await setup();
    await h.publish('v1');
    for (let i = 0; i < 5; i++) {
      h.clock.at = T0 + i * HOUR;
      await h.webhook(h.rentalPaid(`evt_${i}`, 'u1', 'v1', `pi_${i}`));
    }
    const first = await payments('u1', '?limit=2');
    expect(first.items).toHaveLength(2);
    const second = await payments('u1', `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items[0]!.at < first.items[1]!.at).toBe(true);
    expect((await h.call('GET', '/payments')).status).toBe(401);
    expect((await h.call('GET', '/payments?limit=0', { as: 'u1' })).status).toBe(400);
    expect((await h.call('GET', `/payments?cursor=${first.nextCursor}`, { as: 'u2' })).status).toBe(400);
    expect((await h.call('GET', '/payments/not-a-receipt', { as: 'u1' })).status).toBe(400);
  });
});
