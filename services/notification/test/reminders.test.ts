import { beforeEach, describe, expect, it } from 'vitest';
import { VideoCreated } from '#shared/events/catalog.js';
import { RentalRefunded, SubscriptionStarted } from '#shared/events/entitlement.js';
import { AccountClosed } from '#shared/events/identity.js';
import { RentalReminderDue } from '#shared/events/notification.js';
import { MAX_SEND_ATTEMPTS, reminderScheduleName, sendRetryDelayMs } from '../src/domain/reminder.js';
import { HOUR, MINUTE, notificationHarness, T0 } from './support.js';

type Harness = Awaited<ReturnType<typeof notificationHarness>>;

const VIEWER = 'u1';
const TITLE = 'v1';

async function withTitle(h: Harness, videoId = TITLE, title = '千と千尋の神隠し') {
  await h.publish([
    VideoCreated.create(
      { videoId, title, description: '', cast: [], genres: [], priceJpy: 400, freePreview: false },
      h.clock.at,
    ),
  ]);
}

async function signIn(h: Harness, userId = VIEWER, settings: Record<string, unknown> = {}) {
  const headers = await h.auth.bearer(userId);
  const response = await h.json('/me', { method: 'PUT', headers, body: settings });
  expect(response.status).toBe(200);
  return headers;
}

describe('rental reminders', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await notificationHarness();
    h.timers().start();
    await withTitle(h);
  });

  it('sends exactly one reminder at purchase + 43 h, in the viewer’s language and zone', async () => {
    await signIn(h);
    await h.purchase(VIEWER, TITLE);
    expect(h.timers().pending()).toBe(1);

    await h.advanceTo(T0 + 42 * HOUR + 59 * MINUTE);
    expect(await h.outbox.list(10)).toEqual([]);

    await h.advanceTo(T0 + 43 * HOUR);
    const sent = await h.outbox.list(10);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toBe('u1@kinema.test');
    expect(sent[0]!.subject).toBe('「千と千尋の神隠し」のレンタル期間は残り5時間を切りました');
    // T0 + 48 h = 2030-01-03 03:00 UTC = 12:00 in Tokyo.
    expect(sent[0]!.text).toContain('2030年1月3日(木) 12:00 JST');
    expect(sent[0]!.text).toContain('https://kinema.test/videos/v1');
    expect(h.timers().pending()).toBe(0);

    // A duplicate firing (the same event again, or a second firing with a new id) sends nothing.
    const due = RentalReminderDue.create(
      { userId: VIEWER, rentalId: 'r1', videoId: TITLE, expiresAt: new Date(T0 + 48 * HOUR).toISOString() },
      h.clock.at,
    );
    await h.publish([due]);
    expect(await h.reminders.remind(due.detail)).toEqual({ outcome: 'duplicate' });
    expect(await h.outbox.list(10)).toHaveLength(1);
  });

  it('writes English with the expiry in the viewer’s own zone', async () => {
    await signIn(h, VIEWER, { language: 'en', timeZone: 'America/New_York' });
    await h.purchase(VIEWER, TITLE);
    await h.advanceTo(T0 + 43 * HOUR);
    const [email] = await h.outbox.list(10);
    expect(email!.subject).toBe('Less than 5 hours left to watch “千と千尋の神隠し”');
    // 2030-01-03 03:00 UTC is 22:00 the day before in New York.
    expect(email!.text).toContain('Wed, 2 Jan 2030, 22:00 GMT-5');
  });

  it('a refund before +43 h leaves no schedule and no email', async () => {
    await signIn(h);
    const rental = await h.purchase(VIEWER, TITLE);
    await h.advanceTo(T0 + 10 * HOUR);
    await h.publish([RentalRefunded.create({ userId: VIEWER, rentalId: rental.rentalId, videoId: TITLE }, h.clock.at)]);
    expect(h.timers().pending()).toBe(0);
    await h.advanceTo(T0 + 44 * HOUR);
    expect(await h.outbox.list(10)).toEqual([]);
  });

  it('a refund that arrives before its purchase still wins', async () => {
    await signIn(h);
    await h.publish([RentalRefunded.create({ userId: VIEWER, rentalId: 'r1', videoId: TITLE }, h.clock.at)]);
    await h.purchase(VIEWER, TITLE, T0, 'r1');
    expect(h.timers().pending()).toBe(0);
  });

  it('a repurchase replaces the schedule; refunding it brings back the earlier window’s', async () => {
    await signIn(h);
    await h.purchase(VIEWER, TITLE, T0, 'first');
    await h.advanceTo(T0 + 10 * HOUR);
    await h.purchase(VIEWER, TITLE, T0 + 10 * HOUR, 'second');
    expect(h.timers().pending()).toBe(1);
    await h.advanceTo(T0 + 43 * HOUR);
    expect(await h.outbox.list(10)).toEqual([]);

    await h.publish([RentalRefunded.create({ userId: VIEWER, rentalId: 'second', videoId: TITLE }, h.clock.at)]);
    // The first rental's reminder time has passed while it is still running: it goes at once.
    const sent = await h.outbox.list(10);
    expect(sent).toHaveLength(1);
    expect((await h.reminders.store.delivery('first'))?.state).toBe('sent');
  });

  it('the schedule name is per viewer and title, within EventBridge’s limits', () => {
    const name = reminderScheduleName('01kx9y8z7w6v5t4s3r2q1p0n9m', '01kx9y8z7w6v5t4s3r2q1p0n9n');
    expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(name).toBe(reminderScheduleName('01kx9y8z7w6v5t4s3r2q1p0n9m', '01kx9y8z7w6v5t4s3r2q1p0n9n'));
    expect(name).not.toBe(reminderScheduleName('01kx9y8z7w6v5t4s3r2q1p0n9m', 'other'));
  });

  it('closing the account deletes pending schedules and sends nothing', async () => {
    await signIn(h);
    await h.purchase(VIEWER, TITLE);
    await withTitle(h, 'v2', 'Tokyo Story');
    await h.purchase(VIEWER, 'v2');
    expect(h.timers().pending()).toBe(2);
    await h.publish([AccountClosed.create({ userId: VIEWER }, h.clock.at)]);
    expect(h.timers().pending()).toBe(0);
    await h.advanceTo(T0 + 44 * HOUR);
    expect(await h.outbox.list(10)).toEqual([]);
  });

  it('a restart of the timers between purchase and +43 h changes nothing', async () => {
    await signIn(h);
    await h.purchase(VIEWER, TITLE);
    await h.restartTimers();
    // Down across the due time: on start it fires at once what came due.
    h.clock.at = T0 + 43 * HOUR + 5 * MINUTE;
    h.timers().start();
    await h.timers().drain();
    expect(await h.outbox.list(10)).toHaveLength(1);
  });

  describe('bad input and faults', () => {
    it('a reminder for a rental that does not exist sends nothing', async () => {
      await signIn(h);
      const due = RentalReminderDue.create(
        { userId: VIEWER, rentalId: 'ghost', videoId: TITLE, expiresAt: new Date(T0 + HOUR).toISOString() },
        h.clock.at,
      );
      await h.publish([due]);
      expect(await h.outbox.list(10)).toEqual([]);
      expect((await h.reminders.store.delivery('ghost'))?.reason).toBe('rental_missing');
    });

    it('a malformed scheduler payload is dropped and logged, never retried into a dead letter', async () => {
      const subscription = h.subscriptions.find((s) => s.name === 'notification.rental-reminder-due')!;
      const bad = {
        ...RentalReminderDue.create(
          { userId: VIEWER, rentalId: 'r', videoId: TITLE, expiresAt: new Date(T0).toISOString() },
          T0,
        ),
        detail: { userId: 7 },
      };
      await expect(subscription.handle(bad)).resolves.toBeUndefined();
      expect(h.errors).toEqual([expect.objectContaining({ message: 'malformed rental reminder payload; dropped' })]);
      expect(await h.outbox.list(10)).toEqual([]);
    });

    it('a refusing mail server is retried with back-off, then dead-lettered; an admin retries it', async () => {
      await signIn(h);
      await h.purchase(VIEWER, TITLE);
      h.mail.refuse = '554 5.7.1 relay refused';
      await h.advanceTo(T0 + 43 * HOUR);
      expect(h.mail.attempts).toHaveLength(1);
      expect((await h.reminders.store.delivery('r1'))?.state).toBe('failed');
      expect(h.timers().pending()).toBe(1);

      // Not retried before its back-off (1 min), retried after it.
      await h.advanceTo(T0 + 43 * HOUR + 30_000);
      expect(h.mail.attempts).toHaveLength(1);
      let at = T0 + 43 * HOUR;
      for (let attempt = 1; attempt < MAX_SEND_ATTEMPTS; attempt++) {
        at += sendRetryDelayMs(attempt);
        await h.advanceTo(at);
        expect(h.mail.attempts).toHaveLength(attempt + 1);
      }
      expect(at).toBeLessThan(T0 + 48 * HOUR);
      expect(h.mail.attempts.length).toBe(MAX_SEND_ATTEMPTS);
      expect(h.timers().pending()).toBe(0);

      const admin = await h.auth.bearer('admin', ['admin']);
      const dead = await h.json('/dead-letters', { headers: admin });
      expect(dead.body).toMatchObject({
        items: [{ rentalId: 'r1', state: 'dead', attempts: MAX_SEND_ATTEMPTS, lastError: '554 5.7.1 relay refused' }],
      });
      expect((await h.json('/dead-letters', { headers: await h.auth.bearer(VIEWER) })).status).toBe(403);

      h.mail.refuse = undefined;
      const retried = await h.json('/dead-letters/r1/retry', { method: 'POST', headers: admin });
      expect(retried).toMatchObject({ status: 200, body: { outcome: 'sent' } });
      expect(await h.outbox.list(10)).toHaveLength(1);
      expect((await h.json('/dead-letters', { headers: admin })).body).toEqual({ items: [] });
      expect((await h.json('/dead-letters/r1/retry', { method: 'POST', headers: admin })).status).toBe(404);
    });

    it('a mail server that times out is retried like a refusal', async () => {
      await signIn(h);
      await h.purchase(VIEWER, TITLE);
      h.mail.refuse = 'Connection timeout';
      await h.advanceTo(T0 + 43 * HOUR);
      h.mail.refuse = undefined;
      await h.advanceTo(T0 + 43 * HOUR + MINUTE);
      expect(h.mail.attempts).toHaveLength(2);
      expect(await h.outbox.list(10)).toHaveLength(1);
      expect(await h.reminders.store.delivery('r1')).toMatchObject({ state: 'sent', attempts: 2 });
    });

    it('a purchase event already past its reminder time sends at once while the rental runs', async () => {
      await signIn(h);
      h.clock.at = T0 + 44 * HOUR;
      await h.purchase(VIEWER, TITLE, T0);
      expect(await h.outbox.list(10)).toHaveLength(1);
      expect(h.timers().pending()).toBe(0);
    });

    it('a purchase event that arrives after the rental ended sends nothing', async () => {
      await signIn(h);
      h.clock.at = T0 + 49 * HOUR;
      await h.purchase(VIEWER, TITLE, T0);
      expect(await h.outbox.list(10)).toEqual([]);
      expect(h.timers().pending()).toBe(0);
    });

    it('a viewer who unsubscribed through the email’s one-click link gets no more reminders', async () => {
      await signIn(h);
      await h.purchase(VIEWER, TITLE);
      await h.advanceTo(T0 + 43 * HOUR);
      const [first] = h.mail.attempts;
      const link = /^<(.+)>$/.exec(first!.headers!['List-Unsubscribe']!)![1]!;
      expect(first!.headers!['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
      const url = new URL(link);
      expect(url.pathname).toBe('/api/notification/unsubscribe');

      const page = await h.app.request(`/unsubscribe${url.search}`);
      expect(page.status).toBe(200);
      expect((await h.json(`/me`, { headers: await h.auth.bearer(VIEWER) })).body.remindersOff).toBe(false);
      const click = await h.app.request(`/unsubscribe${url.search}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(click.status).toBe(200);
      expect((await h.json(`/me`, { headers: await h.auth.bearer(VIEWER) })).body.remindersOff).toBe(true);

      await h.purchase(VIEWER, TITLE, h.clock.at, 'r2');
      await h.advanceTo(h.clock.at + 43 * HOUR);
      expect(await h.outbox.list(10)).toHaveLength(1);
      expect((await h.reminders.store.delivery('r2'))?.reason).toBe('unsubscribed');

      const forged = await h.app.request(`/unsubscribe?token=${url.searchParams.get('token')!.replace(/.$/, 'x')}x`, {
        method: 'POST',
      });
      expect(forged.status).toBe(400);
    });

    it('a suppressed address (bounced or complained) is not mailed', async () => {
      await signIn(h);
      const admin = await h.auth.bearer('admin', ['admin']);
      const bad = await h.json('/suppressions', { method: 'POST', headers: admin, body: { email: 'nope' } });
      expect(bad.status).toBe(400);
      const viewer = await h.auth.bearer(VIEWER);
      const denied = await h.json('/suppressions', { method: 'POST', headers: viewer, body: { email: 'x@y.jp' } });
      expect(denied.status).toBe(403);
      const added = await h.json('/suppressions', {
        method: 'POST',
        headers: admin,
        body: { email: 'U1@Kinema.test', reason: 'bounce' },
      });
      expect(added.status).toBe(200);
      await h.purchase(VIEWER, TITLE);
      await h.advanceTo(T0 + 43 * HOUR);
      expect(h.mail.attempts).toEqual([]);
      expect((await h.reminders.store.delivery('r1'))?.reason).toBe('suppressed');
    });

    it('a viewer on the unlimited plan gets no warning', async () => {
      await signIn(h);
      await h.purchase(VIEWER, TITLE);
      await h.publish([
        SubscriptionStarted.create(
          { userId: VIEWER, subscriptionId: 's1', periodEnd: new Date(T0 + 30 * 24 * HOUR).toISOString() },
          h.clock.at,
        ),
      ]);
      await h.advanceTo(T0 + 43 * HOUR);
      expect(await h.outbox.list(10)).toEqual([]);
      expect((await h.reminders.store.delivery('r1'))?.reason).toBe('unlimited_plan');
    });

    it('refuses bad settings with a 400 and changes nothing', async () => {
      const headers = await signIn(h, VIEWER, { language: 'en' });
      const bad = await h.json('/me', { method: 'PUT', headers, body: { timeZone: 'Mars/Olympus' } });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { code: 'invalid_input' } });
      const unknown = await h.json('/me', { method: 'PUT', headers, body: { admin: true } });
      expect(unknown.status).toBe(400);
      expect((await h.json('/me', { headers })).body).toMatchObject({ language: 'en', timeZone: 'Asia/Tokyo' });
      expect((await h.json('/me')).status).toBe(401);
    });
  });

  describe('reconciliation after a regional failover', () => {
    it('rebuilds the lost schedules from the rentals, idempotently by name', async () => {
      await signIn(h);
      await h.purchase(VIEWER, TITLE);
      await withTitle(h, 'v2', 'Tokyo Story');
      await h.purchase('u2', 'v2');
      const refunded = await h.purchase('u3', 'v2');
      await h.publish([
        RentalRefunded.create({ userId: 'u3', rentalId: refunded.rentalId, videoId: 'v2' }, h.clock.at),
      ]);
      expect(h.timers().pending()).toBe(2);

      // The region's schedules are gone (a fresh timer store), the replicated table is not.
      await h.timers().stop();
      const { rmSync } = await import('node:fs');
      rmSync(`${h.dir}/timers.db`);
      rmSync(`${h.dir}/timers.db-wal`, { force: true });
      rmSync(`${h.dir}/timers.db-shm`, { force: true });
      await h.restartTimers();
      expect(h.timers().pending()).toBe(0);

      const admin = await h.auth.bearer('admin', ['admin']);
      const first = await h.json('/reminders/reconcile', { method: 'POST', headers: admin });
      expect(first.body).toEqual({ titles: 2, scheduled: 2, sentNow: 0, cancelled: 0 });
      expect(h.timers().pending()).toBe(2);
      const again = await h.json('/reminders/reconcile', { method: 'POST', headers: admin });
      expect(again.body).toEqual({ titles: 2, scheduled: 2, sentNow: 0, cancelled: 0 });
      expect(h.timers().pending()).toBe(2);

      h.timers().start();
      await h.advanceTo(T0 + 43 * HOUR);
      expect((await h.outbox.list(10)).map((email) => email.to)).toEqual(['u1@kinema.test']);
      // u2 never told us an address: settled as skipped. Settled ones are not planned again.
      expect((await h.reminders.store.delivery('r2'))?.reason).toBe('no_address');
      const later = await h.auth.bearer('admin', ['admin']);
      expect((await h.json('/reminders/reconcile', { method: 'POST', headers: later })).body).toMatchObject({
        titles: 0,
      });
    });
  });
});
