import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localMailer } from '#platform/local/mailer.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { sqliteTimers } from '#platform/local/timers.js';
import type { EventEnvelope } from '#shared/events/define.js';
import { RentalPurchased } from '#shared/events/entitlement.js';
import { deliver } from '#shared/events/subscribe.js';
import type { Email, Mailer } from '#shared/ports/mailer.js';
import { testAuth } from '#test/support/auth.js';
import { createNotificationApp } from '../src/http.js';
import { rentalReminders } from '../src/reminders.js';
import { notificationSubscriptions } from '../src/subscribers.js';

export const T0 = Date.UTC(2030, 0, 1, 3, 0, 0);
export const HOUR = 3600_000;
export const MINUTE = 60_000;

/**
 * The notification service on local adapters: a SQLite table, the real SQLite timers firing into
 * the service's own subscriptions (the bus), the outbox mailer behind a switch that can make the
 * "mail server" refuse, and a clock the test moves.
 */
export async function notificationHarness() {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-notification-'));
  const clock = { at: T0, now: () => clock.at };
  const table = sqliteTable({ file: join(dir, 'notification.db'), now: clock.now });
  const outbox = localMailer({ dir: join(dir, 'outbox'), from: 'Kinema <no-reply@kinema.test>', now: clock.now });
  const mail = { refuse: undefined as string | undefined, attempts: [] as Email[] };
  const mailer: Mailer = {
    async send(email) {
      mail.attempts.push(email);
      if (mail.refuse) throw new Error(mail.refuse);
      return outbox.send(email);
    },
  };
  const errors: unknown[] = [];
  const logger = {
    debug() {},
    info() {},
    warn() {},
    error(message: string, fields?: Record<string, unknown>) {
      errors.push({ message, ...fields });
    },
    child() {
      return logger;
    },
  };
  const publish = async (envelopes: EventEnvelope[]) => {
    for (const envelope of envelopes) {
      for (const subscription of subscriptions) {
        if (subscription.event.matches(envelope)) await deliver(subscription, envelope, table, clock.now());
      }
    }
  };
  let timers = sqliteTimers({ file: join(dir, 'timers.db'), now: clock.now, fire: publish });
  const scheduler = {
    at: (...args: Parameters<typeof timers.at>) => timers.at(...args),
    cancel: (name: string) => timers.cancel(name),
  };
  const reminders = rentalReminders({
    table,
    scheduler,
    mailer,
    clock,
    siteOrigin: 'https://kinema.test',
    unsubscribeSecret: 'test-secret-test-secret',
    logger: logger as never,
  });
  const subscriptions = notificationSubscriptions(reminders, logger as never);
  const auth = await testAuth(clock.now);
  const app = createNotificationApp({ reminders, verifier: auth.verifier, outbox });

  let purchases = 0;
  return {
    dir,
    clock,
    table,
    outbox,
    mail,
    errors,
    reminders,
    subscriptions,
    app,
    auth,
    publish,
    timers: () => timers,
    /** Moves the clock and fires what came due. */
    async advanceTo(at: number) {
      clock.at = at;
      await timers.drain();
    },
    /** Closes the timer file and opens it again, as a restart does. */
    async restartTimers() {
      await timers.stop();
      timers = sqliteTimers({ file: join(dir, 'timers.db'), now: clock.now, fire: publish });
    },
    async purchase(userId: string, videoId: string, at = clock.at, rentalId = `r${++purchases}`) {
      const event = RentalPurchased.create(
        {
          userId,
          rentalId,
          videoId,
          purchasedAt: new Date(at).toISOString(),
          expiresAt: new Date(at + 48 * HOUR).toISOString(),
          reminderAt: new Date(at + 43 * HOUR).toISOString(),
        },
        clock.at,
      );
      await publish([event]);
      return event.detail;
    },
    async json(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
      const response = await app.request(path, {
        method: init.method ?? 'GET',
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
  };
}
