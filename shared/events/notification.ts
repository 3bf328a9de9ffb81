import { z } from 'zod';
import { defineEvent } from './define.js';

/** Fired by the Scheduler at purchase + 43 h; the notification service mails the viewer. */
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
