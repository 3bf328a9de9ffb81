import type { PurchaseIntent } from '$lib/server/intent';
import type { ApiEvent } from '$lib/server/api';
import { startCheckout } from './entitlement.server';

/** `returnTo` with the checkout's outcome, for the page that shows it. */
export function withOutcome(returnTo: string, outcome: string): string {
  const url = new URL(returnTo, 'http://kinema.invalid');
  url.searchParams.set('checkout', outcome);
  return url.pathname + url.search;
}

/**
 * Where the browser goes to buy what `intent` names as the signed-in viewer: the payment page, or
 * back to `returnTo` with why not (`already_subscribed`, `unavailable`, `failed`), or `signin`
 * when the API no longer takes the session. Shared by the Rent/Subscribe forms and the sign-in
 * callback that resumes a purchase begun before sign-in.
 */
export async function checkoutTarget(
  event: ApiEvent & { locals: Pick<App.Locals, 'lang'> },
  intent: PurchaseIntent,
  returnTo: string,
): Promise<{ location: string } | { signin: true }> {
  // The payment page speaks the site's language, not the browser's.
  const locale = event.locals.lang;
  const request =
    intent.kind === 'rental'
      ? { kind: 'rental' as const, videoId: intent.videoId, returnPath: returnTo, locale }
      : { kind: 'subscription' as const, returnPath: returnTo, locale };
  const started = await startCheckout(event, request);
  if ('checkoutUrl' in started) return { location: started.checkoutUrl };
  if (started.refused === 'signin') return { signin: true };
  return { location: withOutcome(returnTo, started.refused) };
}
