import { redirect } from '@sveltejs/kit';
import { apiGet, MyEntitlement } from '$lib/server/api';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
  if (!locals.user || !locals.session) redirect(303, '/auth/login?returnTo=/account');
  let entitlement: MyEntitlement | null = null;
  try {
    entitlement = await apiGet('/api/entitlement/me', locals.session.accessToken, MyEntitlement);
  } catch (error) {
    // The page still shows who you are; the plan section says it could not be loaded.
    console.error(JSON.stringify({ level: 'warn', msg: 'entitlement unavailable', err: String(error) }));
  }
  return { entitlement };
};
