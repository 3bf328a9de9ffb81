import { redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { readForm } from '$lib/server/form';
import { PurchaseIntent } from '$lib/server/intent';
import { beginSignIn, safeReturnTo } from '$lib/server/oidc';
import { withoutCheckout } from '$lib/watch/access';
import { checkoutTarget, withOutcome } from '$lib/watch/checkout.server';
import type { RequestHandler } from './$types';

/** Where the viewer comes back to: a path of this site, by the one redirect parser. */
const ReturnTo = z.unknown().transform((value) => safeReturnTo(value));

const CheckoutForm = z.intersection(PurchaseIntent, z.object({ returnTo: ReturnTo }));

/**
 * `POST /checkout` (the Rent and Subscribe buttons are plain forms, so they work without
 * JavaScript): opens a checkout session as the signed-in viewer and sends the browser to the
 * payment page. Payment sends them back to `returnTo?checkout=success|cancel`. An anonymous
 * visitor goes to sign in (or sign up) first with the purchase kept in the sealed sign-in flow;
 * the callback then opens checkout (`$lib/watch/checkout.server.ts`). Cross-site posts never get
 * here (hooks.server.ts checks the Origin of every form post).
 */
export const POST: RequestHandler = async (event) => {
  const form = Object.fromEntries(await readForm(event.request));
  const parsed = CheckoutForm.safeParse(form);
  if (!parsed.success) redirect(303, withOutcome(ReturnTo.parse(form['returnTo']), 'unavailable'));
  const { returnTo: asked, ...intent } = parsed.data;
  const returnTo = withoutCheckout(new URL(asked, event.url));
  const signIn = async () =>
    (await beginSignIn(event.cookies, { mode: 'signin', lang: event.locals.lang, returnTo, intent })).href;
  if (!event.locals.session) redirect(303, await signIn());

  const target = await checkoutTarget(event, intent, returnTo);
  redirect(303, 'location' in target ? target.location : await signIn());
};

/** Someone opening /checkout by hand has nothing to pay for here. */
export const GET: RequestHandler = () => redirect(303, '/');
