import { redirect } from '@sveltejs/kit';
import { beginSignIn, safeReturnTo } from '$lib/server/oidc';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ url, cookies, locals }) => {
  const returnTo = safeReturnTo(url.searchParams.get('returnTo'));
  if (locals.user) redirect(303, returnTo);
  const target = await beginSignIn(cookies, { mode: 'signin', lang: locals.lang, returnTo });
  redirect(303, target.href);
};
