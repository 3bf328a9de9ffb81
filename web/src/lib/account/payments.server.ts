import { env } from '$env/dynamic/private';
import { z } from 'zod';
import { api } from '$lib/server/api';
import type { ApiEvent } from '$lib/server/api';

/** One ledger entry as `GET /api/entitlement/payments` answers it (parsed loosely: new fields pass). */
export const Payment = z
  .object({
    receiptNo: z.string(),
    kind: z.enum(['payment', 'refund']),
    line: z.enum(['rental', 'subscription']),
    at: z.string(),
    amountJpy: z.number().int(),
    taxJpy: z.number().int(),
    videoId: z.string().nullable(),
    title: z.string().nullable(),
    subscriptionId: z.string().nullable(),
    billing: z.enum(['initial', 'renewal']).nullable(),
    periodEnd: z.string().nullable(),
    status: z.enum(['paid', 'refunded']),
    refundedAt: z.string().nullable(),
    refundOf: z.string().nullable(),
  })
  .loose();
export type Payment = z.infer<typeof Payment>;

const PaymentsPage = z.object({
  items: z.array(Payment),
  nextCursor: z.string().nullable(),
  taxRatePercent: z.number(),
});
export type PaymentsPage = z.infer<typeof PaymentsPage>;

/** The viewer's payments and refunds, newest first. */
export function myPayments(event: ApiEvent, cursor?: string): Promise<PaymentsPage> {
  return api(event, '/api/entitlement/payments', { query: { limit: 20, cursor }, schema: PaymentsPage });
}

/** One of the viewer's receipts. */
export function myReceipt(event: ApiEvent, receiptNo: string): Promise<Payment> {
  return api(event, `/api/entitlement/payments/${encodeURIComponent(receiptNo)}`, { schema: Payment });
}

const ReceiptConfig = z.object({
  /** 発行者: the business named on receipts. */
  KINEMA_RECEIPT_ISSUER: z.string().trim().min(1).max(200).default('Kinema'),
  /** 登録番号 of the qualified invoice issuer: `T` and 13 digits; unset shows "(not set)". */
  KINEMA_INVOICE_REGISTRATION_NUMBER: z
    .string()
    .regex(/^T\d{13}$/, 'T followed by 13 digits')
    .optional(),
});

/** Who issues the receipts (configuration, read per request: cheap, and it may change with a deploy). */
export function receiptIssuer(): { issuer: string; registrationNumber: string | null } {
  const parsed = ReceiptConfig.safeParse(env);
  if (!parsed.success) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'bad receipt configuration',
        issues: parsed.error.issues.map((i) => i.message),
      }),
    );
    return { issuer: 'Kinema', registrationNumber: null };
  }
  return {
    issuer: parsed.data.KINEMA_RECEIPT_ISSUER,
    registrationNumber: parsed.data.KINEMA_INVOICE_REGISTRATION_NUMBER ?? null,
  };
}
