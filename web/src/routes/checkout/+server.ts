import { redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { readForm } from '$lib/server/form';
import { safeReturnTo } from '$lib/server/oidc';
import { withoutCheckout } from '$lib/watch/access';
import { startCheckout } from '$lib/watch/entitlement.server';
import type { RequestHandler } from './$types';

/** Where the viewer comes back to: a path of this site, by the one redirect parser. */
const ReturnTo = z.unknown().transform((value) => safeReturnTo(value));

const CheckoutForm = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('subscription'), returnTo: ReturnTo }),
  z.object({ kind: z.literal('rental'), videoId: z.string().regex(/^[0-9a-z][0-9a-z_-]{0,63}$/), returnTo: ReturnTo }),
]);

/**
 * `POST /checkout` (the Rent and Subscribe buttons are plain forms, so they work without
 * JavaScript): opens a checkout session as the signed-in viewer and sends the browser to the
 * payment page. Payment sends them back to `returnTo?checkout=success|cancel`. Anonymous viewers
 * sign in first and land back on the page they were buying from. Cross-site posts never get here
 * (hooks.server.ts checks the Origin of every form post).
 */
export const POST: RequestHandler = async (event) => {
  const form = Object.fromEntries(await readForm(event.request));
  const parsed = CheckoutForm.safeParse(form);
  const back = (outcome: string, to = ReturnTo.parse(form['returnTo'])) => {
    const url = new URL(to, event.url);
    url.searchParams.set('checkout', outcome);
    return url.pathname + url.search;
  };
  if (!parsed.success) redirect(303, back('unavailable'));
  const returnTo = withoutCheckout(new URL(parsed.data.returnTo, event.url));
  const login = `/auth/login?returnTo=${encodeURIComponent(returnTo)}`;
  if (!event.locals.session) redirect(303, login);

  const request =
    parsed.data.kind === 'rental'
      ? { kind: 'rental' as const, videoId: parsed.data.videoId, returnPath: returnTo }
      : { kind: 'subscription' as const, returnPath: returnTo };
  const started = await startCheckout(event, request);
  if ('checkoutUrl' in started) redirect(303, started.checkoutUrl);
  if (started.refused === 'signin') redirect(303, login);
  redirect(303, back(started.refused, returnTo));
};

/** Someone opening /checkout by hand has nothing to pay for here. */
export const GET: RequestHandler = () => redirect(303, '/');
