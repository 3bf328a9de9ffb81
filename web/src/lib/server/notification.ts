import { z } from 'zod';
import { api } from './api';
import type { ApiEvent } from './api';
import { webConfig } from './config';

/**
 * The notification API as pages use it (backend-for-frontend): how rental reminders reach the
 * viewer, account closure (the identity provider's route), and the admin's outbox and dead letters.
 */

export const ReminderSettings = z.object({
  email: z.string().nullable(),
  language: z.enum(['ja', 'en']),
  timeZone: z.string(),
  remindersOff: z.boolean(),
});
export type ReminderSettings = z.infer<typeof ReminderSettings>;

import { OutboxEntry as OutboxEmail } from '#shared/responses.js';
export { OutboxEmail };

export const DeadReminder = z.object({
  rentalId: z.string(),
  userId: z.string(),
  videoId: z.string(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  updatedAt: z.string(),
});
export type DeadReminder = z.infer<typeof DeadReminder>;

/** `GET /api/notification/me`: also records the signed-in viewer's address for reminders. */
export const reminderSettings = (event: ApiEvent) => api(event, '/api/notification/me', { schema: ReminderSettings });

export const updateReminderSettings = (event: ApiEvent, changes: Partial<Omit<ReminderSettings, 'email'>>) =>
  api(event, '/api/notification/me', { method: 'PUT', json: changes, schema: ReminderSettings });

/** Deletes the account at the identity provider, which emits `identity.AccountClosed`. */
export const closeAccount = (event: ApiEvent) => api(event, '/api/identity/me/close', { json: { confirm: 'close' } });

export const outbox = (event: ApiEvent) =>
  api(event, '/api/notification/outbox', { query: { limit: 100 }, schema: z.object({ items: z.array(OutboxEmail) }) });

export const deadReminders = (event: ApiEvent) =>
  api(event, '/api/notification/dead-letters', { schema: z.object({ items: z.array(DeadReminder) }) });

export const retryReminder = (event: ApiEvent, rentalId: string) =>
  api(event, `/api/notification/dead-letters/${encodeURIComponent(rentalId)}/retry`, { method: 'POST' });

/**
 * At sign-in: tells the notification service the viewer's address and the language they use the
 * site in, so a rental reminder reaches them in it. Best effort: sign-in never waits long on it.
 */
export async function rememberContact(accessToken: string, language: string | undefined): Promise<void> {
  const url = new URL('/api/notification/me', webConfig().KINEMA_API_ORIGIN);
  const body = language === 'ja' || language === 'en' ? { language } : {};
  await fetch(url, {
    method: 'PUT',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(2000),
  }).catch((error: unknown) =>
    console.error(JSON.stringify({ level: 'warn', msg: 'reminder contact not recorded', err: String(error) })),
  );
}
