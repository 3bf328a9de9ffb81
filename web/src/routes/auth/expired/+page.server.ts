import { error } from '@sveltejs/kit';
import { m } from '$lib/paraglide/messages.js';
import { safeReturnTo } from '$lib/server/oidc';
import type { PageServerLoad } from './$types';

/**
 * Where a sign-in that broke twice in a row ends (`$lib/server/begin.ts`): the site's own error
 * page, in the page's language, with a fresh start and the way home. Endpoints cannot render it,
 * so /auth/login sends the browser here.
 */
export const load: PageServerLoad = ({ url }) => {
  error(400, {
    message: m.error_signin_expired(),
    code: 'signin_expired',
    returnTo: safeReturnTo(url.searchParams.get('returnTo')),
  });
};
