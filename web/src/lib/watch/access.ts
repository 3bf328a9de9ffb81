import type { Locale } from '$lib/paraglide/runtime.js';

/**
 * Why a viewer may or may not watch a title, as `POST /api/entitlement/access` answers it, plus
 * `signin_required`: an anonymous visitor who would need a plan or a rental (the page then offers
 * both and asks them to sign in first).
 */
export type ViewerAccessReason =
  | 'admin'
  | 'free_preview'
  | 'subscription'
  | 'rental'
  | 'not_entitled'
  | 'signin_required'
  | 'not_published'
  | 'not_found';

export interface ViewerAccess {
  canWatch: boolean;
  reason: ViewerAccessReason;
  /** When watching ends (a rental's end, a plan's paid period end); null when it has no end. */
  expiresAt: string | null;
}

/** What the viewer can buy: a rental is priced per title, the plan is one monthly price. */
export interface Offer {
  planPriceJpy: number | null;
}

/** Whether the page should offer Rent and Subscribe for this access answer. */
export function offersPurchase(access: Pick<ViewerAccess, 'canWatch' | 'reason'>): boolean {
  return !access.canWatch && (access.reason === 'not_entitled' || access.reason === 'signin_required');
}

const HOUR = 3600 * 1000;
const MINUTE = 60 * 1000;

/** Time left until `expiresAt`, in whole hours and the minutes beyond them (never negative). */
export function timeLeft(expiresAt: string, now: number): { hours: number; minutes: number; ms: number } {
  const ms = Math.max(0, Date.parse(expiresAt) - now);
  return { hours: Math.floor(ms / HOUR), minutes: Math.floor((ms % HOUR) / MINUTE), ms };
}

/**
 * An exact moment with its date, weekday, minute and time zone, in the viewer's language. On the
 * server the zone is Japan's (the site's home); in the browser it is the viewer's own.
 */
export function formatMoment(lang: Locale, iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}

/** A calendar date only (a plan's next billing day). */
export function formatDay(lang: Locale, iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'long',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}

/** The zone pages are rendered in on the server, before the browser knows the viewer's. */
export const SERVER_TIME_ZONE = 'Asia/Tokyo';

/** The `?checkout=` outcome the payment page sends the viewer back with. */
export type CheckoutOutcome = 'success' | 'cancel' | 'failed' | 'already_subscribed' | 'unavailable';

export function checkoutOutcome(value: string | null): CheckoutOutcome | null {
  const outcomes: readonly string[] = ['success', 'cancel', 'failed', 'already_subscribed', 'unavailable'];
  return value !== null && outcomes.includes(value) ? (value as CheckoutOutcome) : null;
}

/** The page's path without the checkout outcome, for the return trip and a clean address bar. */
export function withoutCheckout(url: URL): string {
  const params = new URLSearchParams(url.search);
  params.delete('checkout');
  const query = params.toString();
  return url.pathname + (query ? `?${query}` : '');
}
