import { z } from 'zod';
import type { Item, Table } from '#shared/ports/table.js';
import { Rental } from './domain/rental.js';
import type { VideoFacts } from './domain/video.js';

/**
 * The per-title sales table (admin): `sales / <videoId>` counters kept by the purchase and refund
 * transactions, plus the rentals running now from the `active-rentals` index.
 */
/** Rentals still running carry this gsi1pk (`<expiresAt>#<rentalId>` as gsi1sk). */
export const ACTIVE_RENTALS = 'active-rentals';

const SalesRow = z.object({
  sk: z.string(),
  purchases: z.number().default(0),
  revenueJpy: z.number().default(0),
  refunds: z.number().default(0),
});

export interface SalesReport {
  videoId: string;
  title: string | null;
  purchases: number;
  refunds: number;
  revenueJpy: number;
  activeRentals: number;
}

const strip = (item: Item) => {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _s1, rev: _rev, ...rest } = item;
  return rest;
};

/** Admin: per-title purchases, refunds, revenue, and rentals running now. */
export async function salesReport(
  table: Table,
  videoFactsMany: (videoIds: readonly string[]) => Promise<Map<string, VideoFacts | undefined>>,
  now: number,
): Promise<SalesReport[]> {
  const rows: z.infer<typeof SalesRow>[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({ partition: 'sales', limit: 1000, ...(cursor ? { cursor } : {}) });
    rows.push(...page.items.map((item) => SalesRow.parse(item)));
    cursor = page.cursor;
  } while (cursor);
  const active = new Map<string, Set<string>>();
  cursor = undefined;
  do {
    const page = await table.query({
      partition: ACTIVE_RENTALS,
      index: 'gsi1',
      sort: { gt: new Date(now).toISOString() },
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    for (const item of page.items) {
      const rental = Rental.parse(strip(item));
      if (rental.refunded || Date.parse(rental.purchasedAt) > now) continue;
      const viewers = active.get(rental.videoId) ?? new Set<string>();
      // Overlapping purchases by one viewer are one running rental.
      viewers.add(String(item.userId ?? item.pk));
      active.set(rental.videoId, viewers);
    }
    cursor = page.cursor;
  } while (cursor);
  const facts = await videoFactsMany(rows.map((row) => row.sk));
  return rows
    .map((row) => ({
      videoId: row.sk,
      title: facts.get(row.sk)?.title ?? null,
      purchases: row.purchases,
      refunds: row.refunds,
      revenueJpy: row.revenueJpy,
      activeRentals: active.get(row.sk)?.size ?? 0,
    }))
    .sort((a, b) => b.revenueJpy - a.revenueJpy || a.videoId.localeCompare(b.videoId));
}
