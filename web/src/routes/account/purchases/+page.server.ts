import { redirect } from '@sveltejs/kit';
import { myPayments } from '$lib/account/payments.server';
import type { PaymentsPage } from '$lib/account/payments.server';
import type { PageServerLoad } from './$types';

/** The purchase history: the viewer's ledger, newest first, 20 at a time (`?cursor=` for more). */
export const load: PageServerLoad = async (event) => {
  if (!event.locals.user || !event.locals.session) redirect(303, '/auth/login?returnTo=/account/purchases');
  const cursor = event.url.searchParams.get('cursor') ?? undefined;
  let page: PaymentsPage | null = null;
  try {
    page = await myPayments(event, cursor && cursor.length <= 1024 ? cursor : undefined);
  } catch (error) {
    console.error(JSON.stringify({ level: 'warn', msg: 'payments unavailable', err: String(error) }));
  }
  return { page, paged: Boolean(cursor) };
};
