import { requireAdmin } from '$lib/admin/guard.server';
import type { LayoutServerLoad } from './$types';

/** Every admin page: anonymous people sign in first; signed-in viewers get a 403. The API checks again. */
export const load: LayoutServerLoad = (event) => {
  requireAdmin(event);
  return {};
};
