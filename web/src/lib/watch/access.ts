import type { AccessReason } from '#shared/responses.js';

/**
 * Why a viewer may or may not watch a title, as `POST /api/entitlement/access` answers it, plus
 * `signin_required`: an anonymous visitor who would need a plan or a rental (the page then offers
 * both and asks them to sign in first).
 */
export type ViewerAccessReason = AccessReason | 'signin_required';

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

/** Whole seconds from `now` (ms since the epoch) until `expiresAt`, never negative. */
export function secondsUntil(expiresAt: string, now: number): number {
  return Math.max(0, Math.floor((Date.parse(expiresAt) - now) / 1000));
}

/** The `?checkout=` outcome the payment page sends the viewer back with. */
export type CheckoutOutcome = 'success' | 'cancel' | 'declined' | 'failed' | 'already_subscribed' | 'unavailable';

export function checkoutOutcome(value: string | null): CheckoutOutcome | null {
  const outcomes: readonly string[] = ['success', 'cancel', 'declined', 'failed', 'already_subscribed', 'unavailable'];
  return value !== null && outcomes.includes(value) ? (value as CheckoutOutcome) : null;
}

/** The page's path without the checkout outcome, for the return trip and a clean address bar. */
export function withoutCheckout(url: URL): string {
  const params = new URLSearchParams(url.search);
  params.delete('checkout');
  const query = params.toString();
  return url.pathname + (query ? `?${query}` : '');
}
