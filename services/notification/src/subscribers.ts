import { VideoCreated, VideoPublished, VideoUpdated } from '#shared/events/catalog.js';
import {
  RentalPurchased,
  RentalRefunded,
  SubscriptionCancelled,
  SubscriptionEnded,
  SubscriptionRenewed,
  SubscriptionStarted,
} from '#shared/events/entitlement.js';
import { AccountClosed } from '#shared/events/identity.js';
import { RemindersReconcileDue, RentalReminderDue } from '#shared/events/notification.js';
import { subscribe } from '#shared/events/subscribe.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Subscription } from '#shared/ports/bus.js';
import type { RentalReminders } from './reminders.js';

/** What infra builds from this service besides its rules: the SES templates, from the same strings. */
export { REMINDER_TEMPLATES } from './domain/reminder-email.js';

const version = (envelope: { time: string; id: string }) => `${envelope.time}#${envelope.id}`;

/**
 * The events the notification service consumes; infra turns this list into bus rules.
 *
 * It keeps its own projection of the facts a reminder needs (rentals, refunds, plans, titles)
 * rather than calling entitlement at firing time: the reminder then depends on no other service
 * being up, and after a regional failover the replicated projection is what reconciliation
 * rebuilds schedules from. Infra calls this without `reminders` only to read names and events.
 */
export function notificationSubscriptions(reminders?: RentalReminders, logger: Logger = silentLogger): Subscription[] {
  const wired = () => {
    if (!reminders) throw new Error('notification subscribers need their adapters');
    return reminders;
  };
  const title = (detail: { videoId: string; title: string }, envelope: { time: string; id: string }) =>
    wired().store.applyTitle(detail.videoId, detail.title, version(envelope));
  return [
    subscribe('notification.rental-purchased', RentalPurchased, async (detail) => {
      const { store, planTitle } = wired();
      await store.applyRental({ ...detail, refunded: false });
      await planTitle(detail.userId, detail.videoId);
    }),
    subscribe('notification.rental-refunded', RentalRefunded, async (detail) => {
      const { store, planTitle } = wired();
      await store.applyRental({ ...detail, purchasedAt: null, expiresAt: null, reminderAt: null, refunded: true });
      await planTitle(detail.userId, detail.videoId);
    }),
    subscribe('notification.account-closed', AccountClosed, async ({ userId }, envelope) => {
      const { store, planTitle } = wired();
      await store.updateContact(userId, { closedAt: envelope.time });
      for (const videoId of await store.rentedTitles(userId)) {
        await planTitle(userId, videoId);
        // Nothing is owed to a closed account: reconciliation need not look at its rentals again.
        for (const rental of await store.titleRentals(userId, videoId)) {
          await store.settleRental(userId, videoId, rental.rentalId);
        }
      }
    }),
    ...[SubscriptionStarted, SubscriptionRenewed, SubscriptionCancelled].map((event) =>
      subscribe(`notification.plan-${event.type}`, event, async (detail, envelope) => {
        await wired().store.applyPlan(detail.userId, detail.subscriptionId, {
          periodEnd: detail.periodEnd,
          ended: false,
          eventAt: envelope.time,
        });
      }),
    ),
    subscribe('notification.plan-SubscriptionEnded', SubscriptionEnded, async (detail, envelope) => {
      await wired().store.applyPlan(detail.userId, detail.subscriptionId, {
        periodEnd: null,
        ended: true,
        eventAt: envelope.time,
      });
    }),
    subscribe('notification.title-created', VideoCreated, title),
    subscribe('notification.title-updated', VideoUpdated, title),
    subscribe('notification.title-published', VideoPublished, title),
    subscribe('notification.reconcile-reminders', RemindersReconcileDue, async () => {
      const counts = await wired().reconcile();
      logger.info('reminders reconciled', counts);
    }),
    {
      // Written by hand (not `subscribe`): a malformed firing can never succeed on retry, so it is
      // logged and dropped instead of thrown back to the bus to retry into a dead letter.
      name: 'notification.rental-reminder-due',
      event: RentalReminderDue,
      async handle(raw) {
        let due;
        try {
          due = RentalReminderDue.parse(raw).detail;
        } catch (error) {
          logger.error('malformed rental reminder payload; dropped', { err: error });
          return;
        }
        await wired().remind(due);
      },
    },
  ];
}
