import { redirect } from '@sveltejs/kit';
import { signOutUrl } from '$lib/server/oidc';
import { clearSession } from '$lib/server/session';
import type { RequestHandler } from './$types';

/** POST only (a link or prefetch must never sign anyone out): local session first, then the issuer's. */
export const POST: RequestHandler = async ({ cookies, locals }) => {
  const idToken = locals.session?.idToken;
  clearSession(cookies);
  redirect(303, await signOutUrl(idToken));
};
