import { redirect } from '@sveltejs/kit';
import { revokeRefreshToken, signOutUrl } from '$lib/server/oidc';
import { revokeSession } from '$lib/server/revoked';
import { clearSession } from '$lib/server/session';
import type { RequestHandler } from './$types';

/**
 * POST only (a link or prefetch must never sign anyone out): the session ends here at once — a
 * copy of the cookie is refused from now on and can no longer renew — then at the issuer.
 */
export const POST: RequestHandler = async ({ cookies, locals }) => {
  const session = locals.session;
  const idToken = session?.idToken;
  clearSession(cookies);
  if (session) {
    revokeSession(session.accessToken, session.expiresAt);
    if (session.refreshToken) await revokeRefreshToken(session.refreshToken);
  }
  redirect(303, await signOutUrl(idToken));
};
