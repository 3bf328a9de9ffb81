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
const DAY = 24 * HOUR;
const admin = { as: 'boss', roles: ['admin' as const] };
const plan = (userId: string, sub: string, at: number, reason: string, eventId = `evt_${sub}_${at}`) => ({
  id: eventId,
  type: 'invoice.paid',
  created: Math.floor(at / 1000),
  object: {
    id: `in_${eventId}`,
    billing_reason: reason,
    currency: 'jpy',
    amount_paid: 990,
    parent: { subscription_details: { subscription: sub, metadata: { userId } } },
    lines: { data: [{ period: { start: Math.floor(at / 1000), end: Math.floor((at + 30 * DAY) / 1000) } }] },
  },
});
const ended = (userId: string, sub: string, at: number) => ({
  id: `evt_del_${sub}`,
  type: 'customer.subscription.deleted',
  created: Math.floor(at / 1000),
  object: { id: sub, status: 'canceled', cancel_at_period_end: false, metadata: { userId } },
});

// T0 is 2030-01-01 12:00 UTC = 21:00 in Japan.
describe('GET /admin/dashboard', () => {
  it('splits revenue into rentals and plan payments per day, counts subscribers, churn and plays', async () => {
    await setup();
    await h.publish('v1', { priceJpy: 550 });
    await h.publish('v2', { priceJpy: 440 });
    await h.webhook(h.rentalPaid('evt_a', 'u1', 'v1', 'pi_a', 550));
    await h.webhook(h.rentalPaid('evt_b', 'u2', 'v2', 'pi_b', 440));
    await h.webhook(plan('u3', 'sub_3', T0, 'subscription_create'));
    await h.webhook(plan('u4', 'sub_4', T0, 'subscription_create'));
    // Plays: u1 plays v1 twice within 30 minutes (one play), u2 plays v2 and later again (two).
    for (const [as, video, at] of [
      ['u1', 'v1', T0],
      ['u1', 'v1', T0 + 10 * 60_000],
      ['u2', 'v2', T0],
      ['u2', 'v2', T0 + HOUR],
    ] as const) {
      h.clock.at = at;
      expect((await h.call('POST', `/playback/${video}`, { as })).status).toBe(200);
    }
    // The next day u4's plan ends, and v1 is refunded.
    h.clock.at = T0 + DAY;
    await h.webhook(ended('u4', 'sub_4', T0 + DAY));
    await h.webhook({
      id: 'evt_r',
      type: 'charge.refunded',
      object: { id: 'ch', payment_intent: 'pi_a', refunded: true },
    });

    const response = await h.call('GET', '/admin/dashboard?from=2030-01-01&to=2030-01-03', admin);
    expect(response.status).toBe(200);
    const report = (await response.json()) as Record<string, unknown>;
    expect(report.revenue).toEqual([
      expect.objectContaining({ period: '2030-01-01', rentalJpy: 990, subscriptionJpy: 1980, totalJpy: 2970 }),
      expect.objectContaining({ period: '2030-01-02', rentalJpy: -550, subscriptionJpy: 0, refunds: 1 }),
      expect.objectContaining({ period: '2030-01-03', totalJpy: 0 }),
    ]);
    expect(report.totals).toMatchObject({ rentalJpy: 440, subscriptionJpy: 1980, rentals: 2, subscriptionPayments: 2 });
    expect(report.subscribers).toMatchObject({ active: 1, started: 2, churned: 1, activeAtStart: 0, churnRate: null });
    expect(report.topByRevenue).toEqual([
      { videoId: 'v2', title: 'Title v2', revenueJpy: 440, rentals: 1 },
      { videoId: 'v1', title: 'Title v1', revenueJpy: 0, rentals: 1 },
    ]);
    expect(report.topByPlays).toEqual([
      { videoId: 'v2', title: 'Title v2', plays: 2 },
      { videoId: 'v1', title: 'Title v1', plays: 1 },
    ]);
    // Churn over the next day: of the two plans running at its start, one ended.
    const next = (await (await h.call('GET', '/admin/dashboard?from=2030-01-02&to=2030-01-02', admin)).json()) as {
      subscribers: Record<string, unknown>;
    };
    expect(next.subscribers).toMatchObject({ activeAtStart: 2, churned: 1, churnRate: 0.5 });
    // Weeks start on Monday (2029-12-31), months by calendar.
    const weekly = (await (
      await h.call('GET', '/admin/dashboard?from=2030-01-01&to=2030-01-10&bucket=week', admin)
    ).json()) as {
      revenue: { period: string }[];
    };
    expect(weekly.revenue.map((p) => p.period)).toEqual(['2029-12-31', '2030-01-07']);
  });

  it('refuses viewers, reversed and over-long ranges, with a reason', async () => {
    await setup();
    expect((await h.call('GET', '/admin/dashboard?from=2030-01-01&to=2030-01-02', { as: 'u1' })).status).toBe(403);
    const reversed = await h.call('GET', '/admin/dashboard?from=2030-01-02&to=2030-01-01', admin);
    expect(reversed.status).toBe(400);
    expect(await reversed.json()).toMatchObject({
      error: { code: 'invalid_input', details: { reason: 'range_reversed' } },
    });
    const long = await h.call('GET', '/admin/dashboard?from=2030-01-01&to=2031-06-01', admin);
    expect(await long.json()).toMatchObject({ error: { details: { reason: 'range_too_long', maxDays: 366 } } });
    expect((await h.call('GET', '/admin/dashboard?from=yesterday&to=2030-01-01', admin)).status).toBe(400);
  });
});

describe('GET /admin/payments.csv', () => {
  it('streams every entry of a seven-year range as CSV, page by page', async () => {
    await setup();
    await h.publish('v1', { priceJpy: 550 });
    // 600 payments over three years: more than one page (500) of several month partitions.
    for (let i = 0; i < 600; i++) {
      h.clock.at = T0 + i * 2 * DAY;
      await h.webhook(h.rentalPaid(`evt_${i}`, `u${i % 7}`, 'v1', `pi_${i}`, 550));
    }
    const response = await h.call('GET', '/admin/payments.csv?from=2029-01-01&to=2035-12-31', admin);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    // Read it as a stream: the first chunk arrives before the whole body exists.
    const reader = response.body!.getReader();
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    let text = '';
    let chunks = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks += 1;
      text += decoder.decode(value, { stream: true });
    }
    expect(chunks).toBeGreaterThan(1);
    // (not trim(): it would strip the BOM too)
    const lines = text.replace(/\n$/, '').split('\n');
    expect(lines[0]).toBe(
      '\uFEFFreceiptNo,at,date,kind,line,amountJpy,taxJpy,status,videoId,title,subscriptionId,billing,refundOf,userId',
    );
    expect(lines).toHaveLength(601);
    expect(lines[1]).toMatch(
      /^KN-20300101-[0-9A-Z]{10},2030-01-01T12:00:00.000Z,2030-01-01,payment,rental,550,50,paid,v1,Title v1,/,
    );
    const tooLong = await h.call('GET', '/admin/payments.csv?from=2020-01-01&to=2030-01-01', admin);
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ error: { details: { reason: 'range_too_long', maxDays: 2562 } } });
  }, 60_000);
});
