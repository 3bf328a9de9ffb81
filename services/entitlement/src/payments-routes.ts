import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { notFound } from '#shared/errors.js';
import type { ServiceApp } from '#shared/http/app.js';
import { requirePrincipal, signedIn } from '#shared/http/auth.js';
import { bearer, errors } from '#shared/http/openapi.js';
import { CONSUMPTION_TAX, LedgerEntry, RECEIPT_TIME_ZONE } from './domain/ledger.js';
import type { LedgerStore } from './ledger.js';

const PaymentsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1024).optional(),
});
const ReceiptParams = z.object({
  receiptNo: z.string().regex(/^KN-\d{8}-[0-9A-Z]{10}$/, 'a receipt number such as KN-20300101-7Q4M2X9KTB'),
});

/** What a viewer sees of an entry (the provider's ids stay inside). */
const Payment = LedgerEntry.omit({ providerRef: true, userId: true }).meta({ id: 'Payment' });
const toPayment = ({ providerRef: _ref, userId: _user, ...rest }: LedgerEntry): z.infer<typeof Payment> => rest;
const PaymentsPage = z.object({
  items: z.array(Payment),
  nextCursor: z.string().nullable(),
  taxRatePercent: z.number(),
  timeZone: z.string(),
});

/** `GET /payments` and `GET /payments/{receiptNo}`: the viewer's own ledger entries (receipts). */
export function paymentRoutes(app: ServiceApp, ledger: LedgerStore) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/payments',
      summary: "The caller's payments and refunds, newest first (receipts)",
      description:
        'Amounts are tax-inclusive yen (税込); `taxJpy` is the consumption tax inside them (内消費税, ' +
        '10 %, amount × 10 / 110 rounded down once per receipt).',
      security: bearer,
      middleware: [signedIn],
      request: { query: PaymentsQuery },
      responses: {
        200: { description: 'a page of receipts', content: { 'application/json': { schema: PaymentsPage } } },
        ...errors('invalid_input', 'unauthorized'),
      },
    }),
    async (c) => {
      const { userId } = requirePrincipal(c.get('principal'));
      const { limit, cursor } = c.req.valid('query');
      const page = await ledger.ofUser(userId, { limit, ...(cursor ? { cursor } : {}) });
      c.header('Cache-Control', 'private, no-store');
      return c.json(
        {
          items: page.items.map(toPayment),
          nextCursor: page.nextCursor,
          taxRatePercent: CONSUMPTION_TAX.percent,
          timeZone: RECEIPT_TIME_ZONE,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/payments/{receiptNo}',
      summary: "One of the caller's receipts",
      security: bearer,
      middleware: [signedIn],
      request: { params: ReceiptParams },
      responses: {
        200: { description: 'the receipt', content: { 'application/json': { schema: Payment } } },
        ...errors('invalid_input', 'unauthorized', 'not_found'),
      },
    }),
    async (c) => {
      const { userId } = requirePrincipal(c.get('principal'));
      const { receiptNo } = c.req.valid('param');
      const entry = await ledger.receipt(userId, receiptNo);
      if (!entry) throw notFound(`receipt ${receiptNo}`);
      c.header('Cache-Control', 'private, no-store');
      return c.json(toPayment(entry), 200);
    },
  );
}
