import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

/** The admin area: anonymous people sign in first; signed-in viewers get a 403. The API checks again. */
export const load: PageServerLoad = ({ locals }) => {
  if (!locals.user) redirect(303, '/auth/login?returnTo=/admin');
  if (!locals.user.roles.includes('admin')) error(403, { message: 'admins only', code: 'forbidden' });
  return {};
};
