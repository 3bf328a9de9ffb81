import { redirect } from '@sveltejs/kit';
import { isLang, LANG_COOKIE } from '$lib/i18n';
import { webConfig } from '$lib/server/config';
import { safeReturnTo } from '$lib/server/oidc';
import type { RequestHandler } from './$types';

/** The header's language switch: a plain form, so it works before (or without) JavaScript. */
export const POST: RequestHandler = async ({ request, cookies }) => {
  const form = await request.formData();
  const lang = form.get('lang');
  if (isLang(lang)) {
    cookies.set(LANG_COOKIE, lang, {
      path: '/',
      httpOnly: false,
      sameSite: 'lax',
      secure: webConfig().secureCookies,
      maxAge: 365 * 24 * 3600,
    });
  }
  const returnTo = form.get('returnTo');
  redirect(303, safeReturnTo(typeof returnTo === 'string' ? returnTo : '/'));
};
