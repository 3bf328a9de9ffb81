import { m } from '$lib/paraglide/messages.js';
import type { Locale } from '$lib/paraglide/runtime.js';
import { formatDay, SERVER_TIME_ZONE } from '$lib/format';

/** The fields of a ledger entry the words below read (the server module's `Payment`). */
export interface PaymentLike {
  kind: 'payment' | 'refund';
  line: 'rental' | 'subscription';
  title: string | null;
  billing: 'initial' | 'renewal' | null;
  periodEnd: string | null;
  status: 'paid' | 'refunded';
}

/** What was bought, in a few words: the purchase history's "item" column. */
export function paymentItem(lang: Locale, payment: PaymentLike): string {
  const locale = { locale: lang };
  const item =
    payment.line === 'rental'
      ? payment.title
        ? m.desk_item_rental({ title: payment.title }, locale)
        : m.desk_item_rental_unknown({}, locale)
      : payment.billing === 'renewal'
        ? m.desk_item_plan_renewal({}, locale)
        : m.desk_item_plan_initial({}, locale);
  return payment.kind === 'refund' ? m.desk_item_refund({ item }, locale) : item;
}

/** The receipt's 但し書き: what the money was for (dates in Japan's zone, as receipts are). */
export function receiptPurpose(lang: Locale, payment: PaymentLike): string {
  const locale = { locale: lang };
  if (payment.line === 'rental') {
    return payment.title
      ? m.desk_receipt_for_rental({ title: payment.title }, locale)
      : m.desk_receipt_for_rental_unknown({}, locale);
  }
  return payment.periodEnd && Date.parse(payment.periodEnd) > 0
    ? m.desk_receipt_for_plan({ end: formatDay(lang, payment.periodEnd, SERVER_TIME_ZONE) }, locale)
    : m.desk_receipt_for_plan_plain({}, locale);
}

/** Paid, refunded, or (for a refund's own entry) refund. */
export function paymentStatus(lang: Locale, payment: PaymentLike): string {
  const locale = { locale: lang };
  if (payment.kind === 'refund') return m.desk_status_refund({}, locale);
  return payment.status === 'refunded' ? m.desk_status_refunded({}, locale) : m.desk_status_paid({}, locale);
}
