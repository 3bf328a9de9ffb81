import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createNotificationApp } from '#services/notification/src/http.js';
import { rentalReminders } from '#services/notification/src/reminders.js';
import { notificationSubscriptions } from '#services/notification/src/subscribers.js';
import type { Logger } from '#shared/log.js';
import type { Bus } from '#shared/ports/bus.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { localMailer } from '#platform/local/mailer.js';
import type { LocalMailer } from '#platform/local/mailer.js';
import { sqliteTimers } from '#platform/local/timers.js';
import { MAIL_FROM } from './adapters.js';

export interface StandaloneNotificationOptions {
  dataDir: string;
  table: Table;
  clock: Clock & { onAdvance?: (listener: (now: number) => void) => () => void };
  publicUrl: string;
  /** A server secret; the unsubscribe-link key is derived from it. */
  secret: string;
  smtpUrl?: string | undefined;
  /** The server's one mailer (shared with the issuer); built here from `smtpUrl` when absent (the CLI). */
  mailer?: LocalMailer;
  /** Where fired timers and AccountClosed go (the server's late-connected dispatcher). */
  bus: Bus;
  logger: Logger;
}

const RECONCILE_EVERY_MS = 3600_000;

/**
 * The notification service on local adapters: the SQLite timers (`timers.db`), the outbox mailer
 * (`outbox/`, or SMTP when configured) and the reminders that use them. The server and the
 * `kinema reminders reconcile` command build it the same way; only the server `start`s it.
 */
export function standaloneNotification(options: StandaloneNotificationOptions) {
  const { dataDir, clock, logger } = options;
  const now = () => clock.now();
  const { bus } = options;
  const timers = sqliteTimers({
    file: join(dataDir, 'timers.db'),
    now,
    fire: (events) => bus.publish(events),
    logger: logger.child({ part: 'timers' }),
  });
  const mailer =
    options.mailer ??
    localMailer({
      dir: join(dataDir, 'outbox'),
      from: MAIL_FROM,
      now,
      ...(options.smtpUrl ? { smtpUrl: options.smtpUrl } : {}),
    });
  const reminders = rentalReminders({
    table: options.table,
    scheduler: timers,
    mailer,
    clock,
    siteOrigin: options.publicUrl,
    unsubscribeSecret: createHash('sha256').update(`unsubscribe\n${options.secret}`).digest('base64url'),
    logger: logger.child({ service: 'notification' }),
  });
  let reconciler: NodeJS.Timeout | undefined;
  let stopAdvance: (() => void) | undefined;
  const reconcile = () =>
    reminders
      .reconcile()
      .then((counts) => counts.titles > 0 && logger.info('reminders reconciled', counts))
      .catch((error: unknown) => logger.error('reminder reconciliation failed', { err: error }));
  return {
    reminders,
    mailer,
    timers,
    subscriptions: notificationSubscriptions(reminders, logger.child({ service: 'notification' })),
    app: (verifier: TokenVerifier) =>
      createNotificationApp({ reminders, verifier, outbox: mailer, logger: logger.child({ service: 'notification' }) }),
    /** Starts firing into the bus (once connected), follows the dev clock, reconciles now and hourly. */
    start() {
      timers.start();
      stopAdvance = clock.onAdvance?.(() => timers.wake());
      void reconcile();
      reconciler = setInterval(() => void reconcile(), RECONCILE_EVERY_MS);
      reconciler.unref();
    },
    async close() {
      clearInterval(reconciler);
      stopAdvance?.();
      await timers.stop();
    },
  };
}
