import { z } from 'zod';
import { api } from '$lib/server/api';
import type { ApiEvent } from '$lib/server/api';

const RevenuePoint = z.object({
  period: z.string(),
  rentalJpy: z.number(),
  subscriptionJpy: z.number(),
  totalJpy: z.number(),
  rentals: z.number(),
  subscriptionPayments: z.number(),
  refunds: z.number(),
});

/** `GET /api/entitlement/admin/dashboard` (parsed loosely: new fields pass). */
export const Dashboard = z
  .object({
    generatedAt: z.string(),
    range: z.object({ from: z.string(), to: z.string(), days: z.number(), bucket: z.enum(['day', 'week', 'month']) }),
    revenue: z.array(RevenuePoint),
    totals: RevenuePoint.omit({ period: true }),
    subscribers: z.object({
      active: z.number(),
      activeAtStart: z.number(),
      started: z.number(),
      churned: z.number(),
      churnRate: z.number().nullable(),
    }),
    topByRevenue: z.array(
      z.object({ videoId: z.string(), title: z.string().nullable(), revenueJpy: z.number(), rentals: z.number() }),
    ),
    topByPlays: z.array(z.object({ videoId: z.string(), title: z.string().nullable(), plays: z.number() })),
  })
  .loose();
export type Dashboard = z.infer<typeof Dashboard>;

export type Bucket = 'day' | 'week' | 'month';

/** The longest ranges the API accepts (services/entitlement/src/domain/report.ts says why). */
export const MAX_DASHBOARD_DAYS = 366;
export const MAX_EXPORT_YEARS = 7;

export function dashboard(event: ApiEvent, query: { from: string; to: string; bucket: Bucket }): Promise<Dashboard> {
  return api(event, '/api/entitlement/admin/dashboard', { query, schema: Dashboard });
}

/** Today in Japan (`YYYY-MM-DD`), the site's reporting zone. */
export const japanToday = (now = Date.now()) => new Date(now + 9 * 3600 * 1000).toISOString().slice(0, 10);
export const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 24 * 3600 * 1000).toISOString().slice(0, 10);
