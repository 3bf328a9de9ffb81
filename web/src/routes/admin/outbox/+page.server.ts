import { fail } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { deadReminders, outbox, retryReminder } from '$lib/server/notification';
import type { DeadReminder, OutboxEmail } from '$lib/server/notification';
import type { Actions, PageServerLoad } from './$types';

/** The standalone outbox (the `.eml` files) and the reminders that failed every attempt. */
export const load: PageServerLoad = async (event) => {
  await event.parent();
  const reason = (error: unknown) => {
    if (error instanceof ApiError) return error.message;
    throw error;
  };
  const [emails, dead] = await Promise.all([
    outbox(event).then(
      (answer): { items: OutboxEmail[]; error: string | null } => ({ items: answer.items, error: null }),
      (error: unknown) => ({ items: [], error: reason(error) }),
    ),
    deadReminders(event).then(
      (answer): { items: DeadReminder[]; error: string | null } => ({ items: answer.items, error: null }),
      (error: unknown) => ({ items: [], error: reason(error) }),
    ),
  ]);
  return { emails, dead };
};

export const actions: Actions = {
  retry: async (event) => {
    const rentalId = (await event.request.formData()).get('rentalId');
    if (typeof rentalId !== 'string' || !rentalId) return fail(400, { retryFailed: 'no rental' });
    try {
      const answer = (await retryReminder(event, rentalId)) as { outcome?: string } | undefined;
      return { retried: answer?.outcome ?? 'done' };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return fail(error.status < 500 ? error.status : 502, { retryFailed: error.message });
    }
  },
};
