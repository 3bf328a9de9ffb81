import { fail, redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { findVideo } from '$lib/watch/catalog.server';
import { closeAccount, reminderSettings, updateReminderSettings } from '$lib/server/notification';
import { changeEmail, changePassword } from '$lib/server/identity';
import type { ReminderSettings } from '$lib/server/notification';
import { signOutUrl } from '$lib/server/oidc';
import { clearSession } from '$lib/server/session';
import { cancelPlan, myAccount, planPrice, resumePlan } from '$lib/watch/entitlement.server';
import type { Account } from '$lib/watch/entitlement.server';
import type { Actions, PageServerLoad } from './$types';

/** Titles are looked up for at most this many rentals (a page, not an export). */
const TITLED_RENTALS = 50;

export const load: PageServerLoad = async (event) => {
  const { locals } = event;
  if (!locals.user || !locals.session) redirect(303, '/auth/login?returnTo=/account');
  // After subscribing, the page asks again until the webhook has started the plan.
  event.depends('kinema:access');
  let entitlement: Account | null = null;
  try {
    entitlement = await myAccount(event);
  } catch (error) {
    // The page still shows who you are; the plan section says it could not be loaded.
    console.error(JSON.stringify({ level: 'warn', msg: 'entitlement unavailable', err: String(error) }));
  }
  const rentals = entitlement?.rentals ?? [];
  const [titles, planPriceJpy, reminders] = await Promise.all([
    Promise.all(
      rentals.slice(0, TITLED_RENTALS).map(async (rental) => {
        const video = await findVideo(event, rental.videoId).catch(() => null);
        return [rental.videoId, video?.title ?? null] as const;
      }),
    ),
    planPrice(event),
    reminderSettings(event).catch((): ReminderSettings | null => null),
  ]);
  return {
    entitlement,
    titles: Object.fromEntries(titles) as Record<string, string | null>,
    planPriceJpy,
    reminders,
  };
};

export const actions: Actions = {
  /** How rental reminders reach me: language, time zone (the browser's), on or off. */
  reminders: async (event) => {
    if (!event.locals.session) redirect(303, '/auth/login?returnTo=/account');
    const form = await event.request.formData();
    const language = form.get('language');
    const timeZone = form.get('timeZone');
    try {
      await updateReminderSettings(event, {
        ...(language === 'ja' || language === 'en' ? { language } : {}),
        ...(typeof timeZone === 'string' && timeZone ? { timeZone } : {}),
        remindersOff: form.get('reminders') !== 'on',
      });
      return { remindersSaved: true };
    } catch (error) {
      const status = error instanceof ApiError && error.status < 500 ? error.status : 502;
      return fail(status, { remindersFailed: true });
    }
  },
  /** Closes the account for good: the identity provider deletes it and pending reminders go. */
  close: async (event) => {
    if (!event.locals.session) redirect(303, '/auth/login?returnTo=/account');
    const form = await event.request.formData();
    if (form.get('confirm') !== 'close') return fail(400, { closeFailed: true });
    try {
      await closeAccount(event);
    } catch (error) {
      const status = error instanceof ApiError && error.status < 500 ? error.status : 502;
      return fail(status, { closeFailed: true });
    }
    const idToken = event.locals.session.idToken;
    clearSession(event.cookies);
    redirect(303, await signOutUrl(idToken));
  },
  /** A new password; the current one is required. Other devices are signed out. */
  password: async (event) => {
    if (!event.locals.session) redirect(303, '/auth/login?returnTo=/account');
    const outcome = await changePassword(event, await event.request.formData());
    return outcome.ok ? { signIn: outcome } : fail(outcome.status, { signIn: outcome });
  },
  /** A new address: a link goes to it, and the change happens when it is followed. */
  email: async (event) => {
    if (!event.locals.session) redirect(303, '/auth/login?returnTo=/account');
    const outcome = await changeEmail(event, await event.request.formData());
    return outcome.ok ? { signIn: outcome } : fail(outcome.status, { signIn: outcome });
  },
  /** "Resume my plan": a cancelled plan renews again, before its paid period ends. */
  resume: async (event) => {
    if (!event.locals.session) redirect(303, '/auth/login?returnTo=/account');
    try {
      await resumePlan(event);
      return { resumed: true };
    } catch (error) {
      const status = error instanceof ApiError && error.status < 500 ? error.status : 502;
      return fail(status, { resumeFailed: true });
    }
  },
  /** Cancel at period end: access stays until the paid period is over. */
  cancel: async (event) => {
    if (!event.locals.session) redirect(303, '/auth/login?returnTo=/account');
    try {
      const subscription = await cancelPlan(event);
      return { cancelled: true, periodEnd: subscription?.periodEnd ?? null };
    } catch (error) {
      const status = error instanceof ApiError && error.status < 500 ? error.status : 502;
      return fail(status, { cancelFailed: true });
    }
  },
};
