import { error, redirect } from '@sveltejs/kit';
import type { RequestEvent } from '@sveltejs/kit';

/**
 * The admin area: anonymous people sign in first (and come back), signed-in viewers get a 403.
 * Form actions do not run layout loads, so each action calls this too. The API checks again.
 */
export function requireAdmin(event: Pick<RequestEvent, 'locals' | 'url'>): void {
  const { locals, url } = event;
  if (!locals.user || !locals.session) {
    redirect(303, `/auth/login?returnTo=${encodeURIComponent(url.pathname + url.search)}`);
  }
  if (!locals.user.roles.includes('admin')) error(403, { message: 'admins only', code: 'forbidden' });
}
