import { z } from 'zod';
import { defineEvent } from './define.js';

/**
 * Put on the bus by the Scheduler when a reminder comes due (purchase + 43 h, or a retry of a
 * failed send). It names the rental the schedule was made for; the notification service re-reads
 * every fact before it mails.
 */
export const RentalReminderDue = defineEvent(
  'notification',
  'RentalReminderDue',
  z.object({
    userId: z.string(),
    rentalId: z.string(),
    videoId: z.string(),
    expiresAt: z.iso.datetime({ offset: true }),
  }),
);
export const EmailSent = defineEvent(
  'notification',
  'EmailSent',
  z.object({ messageId: z.string(), to: z.email(), template: z.string() }),
);
/**
 * Asks the notification service to rebuild pending reminder schedules from the rentals it knows
 * (after a regional failover the lost region's schedules are gone). A recurring schedule sends it
 * on AWS; standalone runs the same rebuild hourly and on start.
 */
export const RemindersReconcileDue = defineEvent('notification', 'RemindersReconcileDue', z.object({}));
