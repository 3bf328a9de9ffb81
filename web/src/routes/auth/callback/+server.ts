import { error, redirect } from '@sveltejs/kit';
import { finishSignIn, SignInError } from '$lib/server/oidc';
import { rememberContact } from '$lib/server/notification';
import { writeSession } from '$lib/server/session';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ url, cookies }) => {
  // The person cancelled at the issuer (or it refused): back home, signed out, no scary page.
  if (url.searchParams.has('error')) redirect(303, '/');
  let next: Awaited<ReturnType<typeof finishSignIn>>;
  try {
    next = await finishSignIn(cookies, url.search);
  } catch (cause) {
    if (cause instanceof SignInError) error(400, { message: cause.message, code: 'signin_failed' });
    throw cause;
  }
  await writeSession(cookies, next.session);
  // Rental reminders need the address and the language the viewer reads the site in.
  await rememberContact(next.session.accessToken, cookies.get('lang'));
  redirect(303, next.returnTo);
};
