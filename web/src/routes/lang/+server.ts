import { redirect } from '@sveltejs/kit';
import { cookieMaxAge, cookieName, isLocale } from '$lib/paraglide/runtime.js';
import { webConfig } from '$lib/server/config';
import { readForm } from '$lib/server/form';
import { safeReturnTo } from '$lib/server/oidc';
import type { RequestHandler } from './$types';

/** The header's language switch: a plain form, so it works before (or without) JavaScript. */
export const POST: RequestHandler = async ({ request, cookies }) => {
  const form = await readForm(request);
  const lang = form.get('lang');
  if (isLocale(lang)) {
    cookies.set(cookieName, lang, {
      path: '/',
      httpOnly: false,
      sameSite: 'lax',
      secure: webConfig().secureCookies,
      maxAge: cookieMaxAge,
    });
  }
  const returnTo = form.get('returnTo');
  redirect(303, safeReturnTo(returnTo));
};
