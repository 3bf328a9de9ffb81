import { z } from 'zod';
import type { Item, Key, Table, Write } from '#shared/ports/table.js';
import { jstMonth, LedgerEntry } from './domain/ledger.js';

/**
 * The payments ledger on the entitlement table (one implementation for SQLite and DynamoDB):
 *   payments#<userId>    / <at ISO>#<receiptNo>   the viewer's receipts, newest first by query
 *     gsi2pk ledger#<YYYY-MM (Japan)> / gsi2sk <at ISO>#<receiptNo>
 *                                                 every entry by month: reports and CSV read a
 *                                                 range month by month, never one hot partition
 *   ledger-ref#<providerRef> / payment            which entry a provider payment made (idempotence,
 *                                                 and refunds find their payment here)
 * Entries are written by the same transactions that grant or end rights (store.ts), so a payment
 * is in the ledger exactly when it bought something.
 */
const paymentsPartition = (userId: string) => `payments#${userId}`;
const monthPartition = (month: string) => `ledger#${month}`;
export const ledgerRefKey = (providerRef: string): Key => ({ pk: `ledger-ref#${providerRef}`, sk: 'payment' });
const entrySk = (entry: LedgerEntry) => `${entry.at}#${entry.receiptNo}`;

const LedgerRef = z.object({ userId: z.string(), entrySk: z.string() });

const strip = (item: Item) => {
  const { pk: _pk, sk: _sk, gsi2pk: _g, gsi2sk: _s, ...rest } = item;
  return LedgerEntry.parse(rest);
};

const entryItem = (entry: LedgerEntry): Item => ({
  pk: paymentsPartition(entry.userId),
  sk: entrySk(entry),
  gsi2pk: monthPartition(jstMonth(Date.parse(entry.at))),
  gsi2sk: entrySk(entry),
  ...entry,
});

/** Writes that put a payment in the ledger, once: they fail (ConditionFailed) if it is already there. */
export function paymentWrites(entry: LedgerEntry, alsoKnownAs: string[] = []): Write[] {
  const ref = { userId: entry.userId, entrySk: entrySk(entry) };
  return [
    { put: entryItem(entry), when: [{ kind: 'notExists' }] },
    ...[entry.providerRef, ...alsoKnownAs].map((providerRef): Write => ({
      put: { ...ledgerRefKey(providerRef), ...ref },
      when: [{ kind: 'notExists' }],
    })),
  ];
}

/** A payment refunded before it was recorded: both entries at once (one write per item). */
export function refundedPaymentWrites(payment: LedgerEntry, refund: LedgerEntry): Write[] {
  return [...paymentWrites(payment), { put: entryItem(refund), when: [{ kind: 'notExists' }] }];
}

/** Writes that record a refund and mark its payment refunded, once. */
export function refundWrites(refund: LedgerEntry, payment: LedgerEntry): Write[] {
  return [
    { put: entryItem(refund), when: [{ kind: 'notExists' }] },
    {
      update: { pk: paymentsPartition(payment.userId), sk: entrySk(payment) },
      changes: { set: { status: 'refunded', refundedAt: payment.refundedAt } },
      when: [{ kind: 'equals', attribute: 'status', value: 'paid' }],
    },
  ];
}

export interface LedgerPage {
  items: LedgerEntry[];
  nextCursor: string | null;
}

export function ledgerStore(table: Table) {
  /** The payment entry a provider id made, if any. */
  async function byProviderRef(providerRef: string): Promise<LedgerEntry | undefined> {
    const ref = await table.get(ledgerRefKey(providerRef));
    if (!ref) return undefined;
    const { userId, entrySk } = LedgerRef.parse(ref);
    const item = await table.get({ pk: paymentsPartition(userId), sk: entrySk });
    return item ? strip(item) : undefined;
  }

  /** A viewer's entries, newest first. */
  async function ofUser(userId: string, options: { limit: number; cursor?: string }): Promise<LedgerPage> {
    const page = await table.query({
      partition: paymentsPartition(userId),
      descending: true,
      limit: options.limit,
      ...(options.cursor ? { cursor: options.cursor } : {}),
    });
    return { items: page.items.map(strip), nextCursor: page.cursor ?? null };
  }

  /** One receipt of a viewer. */
  async function receipt(userId: string, receiptNo: string): Promise<LedgerEntry | undefined> {
    // Receipt numbers carry the Japanese date; the entry's sort key starts with its UTC instant,
    // so read the partition's entries of that date window (at most two UTC days).
    const match = /^KN-(\d{4})(\d{2})(\d{2})-[0-9A-Z]{10}$/.exec(receiptNo);
    if (!match) return undefined;
    const dayStart = Date.parse(`${match[1]}-${match[2]}-${match[3]}T00:00:00.000Z`) - 9 * 3600 * 1000;
    let cursor: string | undefined;
    do {
      const page = await table.query({
        partition: paymentsPartition(userId),
        sort: {
          between: [new Date(dayStart).toISOString(), `${new Date(dayStart + 24 * 3600 * 1000).toISOString()}`],
        },
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      const found = page.items.find((item) => item.receiptNo === receiptNo);
      if (found) return strip(found);
      cursor = page.cursor;
    } while (cursor);
    return undefined;
  }

  /**
   * Every entry with `from <= at < to`, oldest first, one page at a time: month partitions of the
   * index in order, so a year streams as twelve paginated queries and nothing is held in memory.
   */
  async function* between(from: number, to: number, pageSize = 500): AsyncGenerator<LedgerEntry[]> {
    const fromIso = new Date(from).toISOString();
    const toIso = new Date(to).toISOString();
    for (const month of monthsBetween(from, to)) {
      let cursor: string | undefined;
      do {
        const page = await table.query({
          partition: monthPartition(month),
          index: 'gsi2',
          // `#` sorts after every ISO character, so `<toIso>` excludes entries at exactly `to`.
          sort: { between: [fromIso, toIso] },
          limit: pageSize,
          ...(cursor ? { cursor } : {}),
        });
        const entries = page.items.map(strip).filter((entry) => entry.at >= fromIso && entry.at < toIso);
        if (entries.length > 0) yield entries;
        cursor = page.cursor;
      } while (cursor);
    }
  }

  return { byProviderRef, ofUser, receipt, between };
}

/** The Japanese months (`YYYY-MM`) an instant range touches, in order. */
export function monthsBetween(from: number, to: number): string[] {
  const months: string[] = [];
  if (to <= from) return months;
  const last = jstMonth(to - 1);
  let [year, month] = jstMonth(from).split('-').map(Number) as [number, number];
  for (;;) {
    const label = `${year}-${String(month).padStart(2, '0')}`;
    months.push(label);
    if (label >= last) return months;
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
}

export type LedgerStore = ReturnType<typeof ledgerStore>;
