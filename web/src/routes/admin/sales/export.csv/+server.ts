import { z } from 'zod';
import { errorJson } from '$lib/server/api';
import { webConfig } from '$lib/server/config';
import type { RequestHandler } from './$types';

const Query = z.object({ from: z.iso.date(), to: z.iso.date() });

/**
 * The ledger CSV for the admin's browser: the API's stream passed through as it arrives (never
 * read into memory here), with the session's bearer. The API limits the range and says why.
 */
export const GET: RequestHandler = async ({ locals, url }) => {
  if (!locals.user || !locals.session) return errorJson(401, 'unauthorized', 'sign in to continue');
  if (!locals.user.roles.includes('admin')) return errorJson(403, 'forbidden', 'admins only');
  const query = Query.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success) return errorJson(400, 'invalid_input', 'give from and to as YYYY-MM-DD');
  const target = new URL('/api/entitlement/admin/payments.csv', webConfig().KINEMA_API_ORIGIN);
  target.searchParams.set('from', query.data.from);
  target.searchParams.set('to', query.data.to);
  let response: Response;
  try {
    response = await fetch(target, { headers: { authorization: `Bearer ${locals.session.accessToken}` } });
  } catch (error) {
    return errorJson(503, 'unavailable', `the API could not be reached: ${String(error)}`);
  }
  const headers = new Headers({ 'cache-control': 'private, no-store' });
  for (const name of ['content-type', 'content-disposition']) {
    const value = response.headers.get(name);
    if (value) headers.set(name, value);
  }
  return new Response(response.body, { status: response.status, headers });
};
