import { redirect } from '@sveltejs/kit';
import { finishSignIn, signInSucceeded, SignInError } from '$lib/server/oidc';
import { rememberContact } from '$lib/server/notification';
import { writeSession } from '$lib/server/session';
import { checkoutTarget, withOutcome } from '$lib/watch/checkout.server';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ url, cookies, locals }) => {
  // The person cancelled at the issuer (or it refused): back home, signed out, no scary page.
  if (url.searchParams.has('error')) redirect(303, '/');
  let next: Awaited<ReturnType<typeof finishSignIn>>;
  try {
    next = await finishSignIn(cookies, url.search);
  } catch (cause) {
    if (!(cause instanceof SignInError)) throw cause;
    // Expired, interrupted or begun elsewhere: start again once (the issuer's session usually
    // finishes it without a form); /auth/login shows a page in the site's look the second time.
    const returnTo = cause.returnTo ?? '/';
    redirect(303, `/auth/login?retry=1&returnTo=${encodeURIComponent(returnTo)}`);
  }
  signInSucceeded(cookies);
  await writeSession(cookies, next.session);
  // Rental reminders need the address and the language the viewer reads the site in.
  await rememberContact(next.session.accessToken, cookies.get('lang'));
  if (next.intent) {
    // A purchase begun before sign-in (or sign-up) goes on to checkout now.
    const target = await checkoutTarget({ locals: { ...locals, session: next.session } }, next.intent, next.returnTo);
    redirect(303, 'location' in target ? target.location : withOutcome(next.returnTo, 'failed'));
  }
  redirect(303, next.returnTo);
};
