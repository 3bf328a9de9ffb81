import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createRoute } from '@hono/zod-openapi';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import type { ServiceApp } from '#shared/http/app.js';
import { adminOnly } from '#shared/http/auth.js';
import type { Logger } from '#shared/log.js';
import { bearer, errors } from '#shared/http/openapi.js';
import type { Table } from '#shared/ports/table.js';
import { jstDate } from './domain/ledger.js';
import type { LedgerEntry } from './domain/ledger.js';
import { MAX_DASHBOARD_DAYS, MAX_EXPORT_DAYS, reportRange, revenueReport, subscriberStats } from './domain/report.js';
import { Subscription } from './domain/subscription.js';
import type { LedgerStore } from './ledger.js';
import type { PlaysStore } from './plays.js';
import { SUBSCRIPTIONS } from './store.js';
import type { EntitlementStore } from './store.js';

const Day = z.iso.date({ error: 'a day such as 2030-01-31' });
const DashboardQuery = z.object({
  from: Day,
  to: Day,
  bucket: z.enum(['day', 'week', 'month']).default('day'),
  top: z.coerce.number().int().min(1).max(50).default(10),
});
const ExportQuery = z.object({ from: Day, to: Day });

/** The columns of the ledger CSV, in order (the header row names them). */
export const CSV_COLUMNS = [
  'receiptNo',
  'at',
  'date',
  'kind',
  'line',
  'amountJpy',
  'taxJpy',
  'status',
  'videoId',
  'title',
  'subscriptionId',
  'billing',
  'refundOf',
  'userId',
] as const;

const csvRow = (entry: LedgerEntry) => ({ ...entry, date: jstDate(Date.parse(entry.at)) });

export interface AdminReportDeps {
  table: Table;
  store: EntitlementStore;
  ledger: LedgerStore;
  plays: PlaysStore;
  now: () => number;
  logger: Logger;
}

/** Every plan on record (the dashboard's subscriber and churn figures), from the `subscriptions` index. */
async function allSubscriptions(table: Table): Promise<Subscription[]> {
  const subscriptions: Subscription[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({
      partition: SUBSCRIPTIONS,
      index: 'gsi1',
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    for (const item of page.items) {
      const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, rev: _rev, ...rest } = item;
      subscriptions.push(Subscription.parse(rest));
    }
    cursor = page.cursor;
  } while (cursor);
  return subscriptions;
}

/** `GET /admin/dashboard` and `GET /admin/payments.csv`: the operator's desk. */
export function adminReportRoutes(app: ServiceApp, deps: AdminReportDeps) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/sales',
      summary: 'Sales per title (admin)',
      security: bearer,
      middleware: [adminOnly],
      responses: { 200: { description: '`{generatedAt, items}`' }, ...errors('unauthorized', 'forbidden') },
    }),
    async (c) => {
      const at = deps.now();
      return c.json({ generatedAt: new Date(at).toISOString(), items: await deps.store.sales(at) });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/dashboard',
      summary: 'Revenue by period (rentals and plan), subscribers, churn, top titles (admin)',
      description:
        `Days are Japanese days; \`from\` and \`to\` are inclusive and may span at most ${MAX_DASHBOARD_DAYS} days ` +
        '(`invalid_input` with `details.reason` `range_too_long` or `range_reversed`). Revenue is net of refunds, ' +
        'on the day the money moved.',
      security: bearer,
      middleware: [adminOnly],
      request: { query: DashboardQuery },
      responses: { 200: ok(), ...errors('invalid_input', 'unauthorized', 'forbidden') },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const range = reportRange(query.from, query.to, MAX_DASHBOARD_DAYS);
      const report = revenueReport(range, query.bucket);
      for await (const page of deps.ledger.between(range.fromMs, range.toMs)) report.add(page);
      const [subscriptions, plays] = await Promise.all([
        allSubscriptions(deps.table),
        deps.plays.between(range.fromMs, range.toMs),
      ]);
      const byPlays = [...plays.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, query.top);
      const topByRevenue = report.topTitles(query.top);
      const facts = await deps.store.videoFactsMany([
        ...byPlays.map(([id]) => id),
        ...topByRevenue.map((t) => t.videoId),
      ]);
      const now = deps.now();
      c.header('Cache-Control', 'private, no-store');
      return c.json({
        generatedAt: new Date(now).toISOString(),
        range: { from: range.from, to: range.to, days: range.days, bucket: query.bucket },
        revenue: report.series(),
        totals: report.totals(),
        subscribers: subscriberStats(subscriptions, range, now),
        topByRevenue: topByRevenue.map((title) => ({
          ...title,
          title: facts.get(title.videoId)?.title ?? title.title,
        })),
        topByPlays: byPlays.map(([videoId, count]) => ({
          videoId,
          title: facts.get(videoId)?.title ?? null,
          plays: count,
        })),
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/payments.csv',
      summary: 'The payments ledger as CSV, streamed (admin)',
      description:
        `UTF-8 with a BOM (opens in Excel), one row per payment or refund, oldest first. At most ${MAX_EXPORT_DAYS} ` +
        'days (seven years, what Japanese tax law keeps); written month by month, page by page, so a long ' +
        'range streams in constant memory. Behind API Gateway the answer is buffered (6 MB limit).',
      security: bearer,
      middleware: [adminOnly],
      request: { query: ExportQuery },
      responses: {
        200: { description: 'text/csv', content: { 'text/csv': { schema: { type: 'string' } } } },
        ...errors('invalid_input', 'unauthorized', 'forbidden'),
      },
    }),
    (c) => {
      const query = c.req.valid('query');
      const range = reportRange(query.from, query.to, MAX_EXPORT_DAYS);
      const csv = stringify({ header: true, bom: true, columns: [...CSV_COLUMNS] });
      void (async () => {
        try {
          for await (const page of deps.ledger.between(range.fromMs, range.toMs)) {
            for (const entry of page) {
              // Back-pressure: a slow reader pauses the reads, nothing piles up in memory.
              if (!csv.write(csvRow(entry))) await once(csv, 'drain');
            }
          }
          csv.end();
        } catch (error) {
          deps.logger.error('csv export failed', { err: error });
          csv.destroy(error instanceof Error ? error : new Error(String(error)));
        }
      })();
      return new Response(Readable.toWeb(csv) as ReadableStream<Uint8Array>, {
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="kinema-payments-${range.from}-${range.to}.csv"`,
          'cache-control': 'private, no-store',
        },
      });
    },
  );
}

const ok = () => ({
  description: '`{generatedAt, range, revenue[], totals, subscribers, topByRevenue[], topByPlays[]}`',
});
