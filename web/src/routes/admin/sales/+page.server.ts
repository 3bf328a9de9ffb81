import { z } from 'zod';
import { addDays, dashboard, japanToday, MAX_DASHBOARD_DAYS } from '$lib/admin/dashboard.server';
import type { Dashboard } from '$lib/admin/dashboard.server';
import { ApiError } from '$lib/server/api';
import { sales } from '$lib/watch/entitlement.server';
import type { Sales } from '$lib/watch/entitlement.server';
import type { PageServerLoad } from './$types';

const Day = z.iso.date();
const Query = z.object({
  from: Day.optional().catch(undefined),
  to: Day.optional().catch(undefined),
  bucket: z.enum(['day', 'week', 'month']).catch('day'),
});

/**
 * The operator's dashboard: revenue by period (rentals and plan), subscribers, churn, top titles,
 * for a range in the query (default: the last 30 days in Japan), plus per-title lifetime sales.
 */
export const load: PageServerLoad = async (event) => {
  await event.parent();
  const query = Query.parse(Object.fromEntries(event.url.searchParams));
  const to = query.to ?? japanToday();
  const from = query.from ?? addDays(to, -29);
  const range = { from, to, bucket: query.bucket };

  let report: Dashboard | null = null;
  let rangeError: 'range_too_long' | 'range_reversed' | null = null;
  let loadError: string | null = null;
  let lifetime: Sales | null = null;
  const [dash, life] = await Promise.allSettled([dashboard(event, range), sales(event)]);
  if (dash.status === 'fulfilled') report = dash.value;
  else if (dash.reason instanceof ApiError) {
    const reason = z.object({ reason: z.string() }).safeParse(dash.reason.details).data?.reason;
    if (reason === 'range_too_long' || reason === 'range_reversed') rangeError = reason;
    else loadError = dash.reason.message;
  } else throw dash.reason;
  if (life.status === 'fulfilled') lifetime = life.value;
  else if (!(life.reason instanceof ApiError)) throw life.reason;

  return { range, report, rangeError, loadError, lifetime, maxDays: MAX_DASHBOARD_DAYS };
};
