import { ApiError } from '$lib/server/api';
import { sales } from '$lib/watch/entitlement.server';
import type { Sales } from '$lib/watch/entitlement.server';
import type { PageServerLoad } from './$types';

/** Per-title rental sales and the rentals running now (the admin layout already let only admins in). */
export const load: PageServerLoad = async (event) => {
  await event.parent();
  let report: Sales | null = null;
  let loadError: string | null = null;
  try {
    report = await sales(event);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    loadError = error.message;
  }
  const items = [...(report?.items ?? [])].sort(
    (a, b) =>
      b.revenueJpy - a.revenueJpy || b.activeRentals - a.activeRentals || (a.title ?? '').localeCompare(b.title ?? ''),
  );
  const totals = items.reduce(
    (sum, item) => ({
      purchases: sum.purchases + item.purchases,
      refunds: sum.refunds + item.refunds,
      revenueJpy: sum.revenueJpy + item.revenueJpy,
      activeRentals: sum.activeRentals + item.activeRentals,
    }),
    { purchases: 0, refunds: 0, revenueJpy: 0, activeRentals: 0 },
  );
  return { items, totals, generatedAt: report?.generatedAt ?? null, loadError };
};
