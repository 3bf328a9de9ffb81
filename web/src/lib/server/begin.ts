import { redirect } from '@sveltejs/kit';
import type { RequestEvent } from '@sveltejs/kit';
import { beginSignIn, mayRestartSignIn, safeReturnTo } from './oidc';

/**
 * `GET /auth/login` and `/auth/signup`: a signed-in person goes straight to `returnTo`; anyone
 * else to the issuer. `?retry=1` marks a restart after a broken flow (the callback and the issuer
 * send it): allowed once, the second time the person gets a page in the site's look (`/auth/expired`) that says
 * what happened and offers a fresh start and the way home, instead of a loop.
 */
export async function startSignIn(event: RequestEvent, mode: 'signin' | 'signup'): Promise<never> {
  const { url, cookies, locals } = event;
  const returnTo = safeReturnTo(url.searchParams.get('returnTo'));
  if (locals.user) redirect(303, returnTo);
  if (url.searchParams.get('retry') === '1' && !mayRestartSignIn(cookies)) {
    redirect(303, `/auth/expired?returnTo=${encodeURIComponent(returnTo)}`);
  }
  const target = await beginSignIn(cookies, { mode, lang: locals.lang, returnTo });
  redirect(303, target.href);
}
