import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The payments ledger: one entry per payment taken (a rental, a plan's first month, each renewal)
 * and one per refund, each with its own receipt number. Prices in Japan are shown tax-inclusive
 * (総額表示), so an entry keeps the amount charged (税込) and the consumption tax inside it (内消費税).
 */

/** The standard consumption tax rate (10 %), as a fraction so no float ever touches yen. */
export const CONSUMPTION_TAX = { percent: 10 } as const;

/**
 * The consumption tax contained in a tax-inclusive amount of yen: amount × 10 / 110, rounded DOWN
 * to the yen (切り捨て), computed ONCE per receipt on its total (the qualified invoice rule: one
 * rounding per invoice and rate, never per line). ¥990 → ¥90, ¥550 → ¥50, ¥440 → ¥40, ¥100 → ¥9.
 * Integer arithmetic only: exact for any amount below 2^53 / 10.
 */
export function includedConsumptionTax(amountJpy: number): number {
  if (!Number.isSafeInteger(amountJpy) || amountJpy < 0) throw new RangeError(`not an amount of yen: ${amountJpy}`);
  return Math.floor((amountJpy * CONSUMPTION_TAX.percent) / (100 + CONSUMPTION_TAX.percent));
}

/** The time zone receipts are dated in and reports bucket days by (Japan has no DST: +09:00). */
export const RECEIPT_TIME_ZONE = 'Asia/Tokyo';
const JST_OFFSET_MS = 9 * 3600 * 1000;

/** `YYYY-MM-DD` of an instant in Japan. */
export const jstDate = (at: number) => new Date(at + JST_OFFSET_MS).toISOString().slice(0, 10);
/** `YYYY-MM` of an instant in Japan (the ledger's month partition). */
export const jstMonth = (at: number) => jstDate(at).slice(0, 7);
/** The instant a Japanese calendar day (`YYYY-MM-DD`) starts. */
export const jstDayStart = (date: string) => Date.parse(`${date}T00:00:00.000Z`) - JST_OFFSET_MS;

/**
 * A receipt number that is the same however often the provider delivers the payment: derived from
 * the provider's id of the payment (or refund), prefixed with the Japanese date it was taken.
 * `KN-20300101-7Q4M2X9KTB`: 10 Crockford base32 characters = 50 bits, so two receipts of one day
 * collide with odds below 1 in 10^9 even at a million receipts a day.
 */
export function receiptNumber(kind: 'payment' | 'refund', providerRef: string, at: number): string {
  const digest = createHash('sha256').update(`${kind}:${providerRef}`).digest();
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let value = 0n;
  for (const byte of digest.subarray(0, 7)) value = (value << 8n) | BigInt(byte);
  let suffix = '';
  for (let i = 0; i < 10; i++) {
    suffix = alphabet[Number(value & 31n)] + suffix;
    value >>= 5n;
  }
  return `KN-${jstDate(at).replaceAll('-', '')}-${suffix}`;
}

const At = z.iso.datetime({ offset: true });

export const LedgerLine = z.enum(['rental', 'subscription']);
export type LedgerLine = z.infer<typeof LedgerLine>;

export const LedgerEntry = z.object({
  receiptNo: z.string(),
  /** A payment taken, or money given back. */
  kind: z.enum(['payment', 'refund']),
  /** What was paid for: a title's rental or the monthly plan. */
  line: LedgerLine,
  userId: z.string(),
  /** The provider's id (PaymentIntent for rentals, Invoice for plan payments, the charge for refunds). */
  providerRef: z.string(),
  at: At,
  /** Tax-inclusive yen (税込), always positive; a refund's kind says the money went back. */
  amountJpy: z.number().int().nonnegative(),
  /** Consumption tax inside `amountJpy` (内消費税), `includedConsumptionTax(amountJpy)`. */
  taxJpy: z.number().int().nonnegative(),
  videoId: z.string().nullable().default(null),
  /** The title's name when it was paid for (the receipt's 但し書き). */
  title: z.string().nullable().default(null),
  subscriptionId: z.string().nullable().default(null),
  /** Plan payments: the first month or a renewal. */
  billing: z.enum(['initial', 'renewal']).nullable().default(null),
  /** The paid period of a plan payment. */
  periodEnd: At.nullable().default(null),
  /** Payments: `refunded` once money went back. */
  status: z.enum(['paid', 'refunded']),
  refundedAt: At.nullable().default(null),
  /** Refunds: the receipt number of the payment they give back. */
  refundOf: z.string().nullable().default(null),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

type PaymentInput = Pick<LedgerEntry, 'line' | 'userId' | 'providerRef'> &
  Partial<Pick<LedgerEntry, 'videoId' | 'title' | 'subscriptionId' | 'billing' | 'periodEnd'>> & {
    at: number;
    amountJpy: number;
  };

/** The ledger entry of a payment taken. */
export function paymentEntry(input: PaymentInput): LedgerEntry {
  return {
    receiptNo: receiptNumber('payment', input.providerRef, input.at),
    kind: 'payment',
    line: input.line,
    userId: input.userId,
    providerRef: input.providerRef,
    at: new Date(input.at).toISOString(),
    amountJpy: input.amountJpy,
    taxJpy: includedConsumptionTax(input.amountJpy),
    videoId: input.videoId ?? null,
    title: input.title ?? null,
    subscriptionId: input.subscriptionId ?? null,
    billing: input.billing ?? null,
    periodEnd: input.periodEnd ?? null,
    status: 'paid',
    refundedAt: null,
    refundOf: null,
  };
}

/**
 * The refund of a payment (the whole amount unless the provider says less) and the payment as it
 * reads afterwards. The refund's tax is computed on its own total, as its own receipt.
 */
export function refundEntry(
  payment: LedgerEntry,
  input: { providerRef: string; at: number; amountJpy?: number },
): { refund: LedgerEntry; payment: LedgerEntry } {
  const amountJpy = Math.min(input.amountJpy ?? payment.amountJpy, payment.amountJpy);
  const at = new Date(input.at).toISOString();
  return {
    payment: { ...payment, status: 'refunded', refundedAt: at },
    refund: {
      ...payment,
      receiptNo: receiptNumber('refund', input.providerRef, input.at),
      kind: 'refund',
      providerRef: input.providerRef,
      at,
      amountJpy,
      taxJpy: includedConsumptionTax(amountJpy),
      status: 'paid',
      refundedAt: null,
      refundOf: payment.receiptNo,
    },
  };
}

/** What an entry adds to revenue: a payment its amount, a refund minus its amount. */
export const signedAmount = (entry: Pick<LedgerEntry, 'kind' | 'amountJpy'>) =>
  entry.kind === 'refund' ? -entry.amountJpy : entry.amountJpy;
