import { error, redirect } from '@sveltejs/kit';
import { myReceipt, receiptIssuer } from '$lib/account/payments.server';
import { ApiError } from '$lib/server/api';
import { m } from '$lib/paraglide/messages.js';
import type { PageServerLoad } from './$types';

/** One printable receipt (領収書) or refund statement. */
export const load: PageServerLoad = async (event) => {
  const { receiptNo } = event.params;
  if (!event.locals.user || !event.locals.session) {
    redirect(303, `/auth/login?returnTo=${encodeURIComponent(`/account/purchases/${receiptNo}`)}`);
  }
  try {
    const payment = await myReceipt(event, receiptNo);
    return { payment, ...receiptIssuer(), addressee: event.locals.user.email ?? null };
  } catch (failure) {
    if (failure instanceof ApiError && (failure.status === 404 || failure.status === 400)) {
      error(404, m.desk_receipt_not_found({}, { locale: event.locals.lang }));
    }
    throw failure;
  }
};
