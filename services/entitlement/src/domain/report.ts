import { AppError } from '#shared/errors.js';
import { jstDate, jstDayStart, signedAmount } from './ledger.js';
import type { LedgerEntry } from './ledger.js';
import type { Subscription } from './subscription.js';

/** The operator's reports: revenue over time, subscribers, churn, top titles. Days are Japanese days. */

export type Bucket = 'day' | 'week' | 'month';

/** The dashboard reads at most a year at once (366 days: a leap year's worth of daily bars). */
export const MAX_DASHBOARD_DAYS = 366;
/**
 * A CSV export covers at most seven years, the time Japanese tax law keeps books and receipts
 * (法人税法: 7 years). It streams page by page whatever the length, so the cap is about meaning
 * and request time, not memory.
 */
export const MAX_EXPORT_DAYS = 7 * 366;

const DAY_MS = 24 * 3600 * 1000;

export interface ReportRange {
  /** First day, `YYYY-MM-DD` (Japan), inclusive. */
  from: string;
  /** Last day, inclusive. */
  to: string;
  /** The instants: `fromMs` inclusive, `toMs` exclusive (the start of the day after `to`). */
  fromMs: number;
  toMs: number;
  days: number;
}

/** Two calendar days into an instant range, refused (400 with a reason) when reversed or too long. */
export function reportRange(from: string, to: string, maxDays: number): ReportRange {
  const fromMs = jstDayStart(from);
  const toMs = jstDayStart(to) + DAY_MS;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new AppError('invalid_input', 'not a date');
  const days = Math.round((toMs - fromMs) / DAY_MS);
  if (days < 1) {
    throw new AppError('invalid_input', '`from` must be on or before `to`', { reason: 'range_reversed', from, to });
  }
  if (days > maxDays) {
    throw new AppError('invalid_input', `the range may cover at most ${maxDays} days (it covers ${days})`, {
      reason: 'range_too_long',
      maxDays,
      days,
    });
  }
  return { from, to, fromMs, toMs, days };
}

/** The period an instant falls in: `YYYY-MM-DD`, the Monday starting its week, or `YYYY-MM`. */
export function bucketOf(at: number, bucket: Bucket): string {
  const date = jstDate(at);
  if (bucket === 'day') return date;
  if (bucket === 'month') return date.slice(0, 7);
  const start = jstDayStart(date);
  const weekday = (new Date(start + 9 * 3600 * 1000).getUTCDay() + 6) % 7; // Monday = 0
  return jstDate(start - weekday * DAY_MS);
}

/** Every period of the range, in order (so a chart has a bar, even an empty one, for each). */
export function bucketsOf(range: ReportRange, bucket: Bucket): string[] {
  const labels: string[] = [];
  for (let at = range.fromMs; at < range.toMs; at += DAY_MS) {
    const label = bucketOf(at, bucket);
    if (labels[labels.length - 1] !== label) labels.push(label);
  }
  return labels;
}

export interface RevenuePoint {
  period: string;
  rentalJpy: number;
  subscriptionJpy: number;
  totalJpy: number;
  rentals: number;
  subscriptionPayments: number;
  refunds: number;
}

export interface TitleRevenue {
  videoId: string;
  title: string | null;
  revenueJpy: number;
  rentals: number;
}

/**
 * Folds ledger pages into revenue per period (net of refunds, on the day the money moved) and
 * per title, page by page, so a year of entries is never held at once.
 */
export function revenueReport(range: ReportRange, bucket: Bucket) {
  const points = new Map<string, RevenuePoint>(
    bucketsOf(range, bucket).map((period) => [
      period,
      { period, rentalJpy: 0, subscriptionJpy: 0, totalJpy: 0, rentals: 0, subscriptionPayments: 0, refunds: 0 },
    ]),
  );
  const titles = new Map<string, TitleRevenue>();
  return {
    add(entries: readonly LedgerEntry[]) {
      for (const entry of entries) {
        const at = Date.parse(entry.at);
        if (at < range.fromMs || at >= range.toMs) continue;
        const point = points.get(bucketOf(at, bucket));
        if (!point) continue;
        const amount = signedAmount(entry);
        if (entry.line === 'rental') point.rentalJpy += amount;
        else point.subscriptionJpy += amount;
        point.totalJpy += amount;
        if (entry.kind === 'refund') point.refunds += 1;
        else if (entry.line === 'rental') point.rentals += 1;
        else point.subscriptionPayments += 1;
        if (entry.line === 'rental' && entry.videoId) {
          const title = titles.get(entry.videoId) ?? {
            videoId: entry.videoId,
            title: entry.title,
            revenueJpy: 0,
            rentals: 0,
          };
          title.revenueJpy += amount;
          if (entry.kind === 'payment') title.rentals += 1;
          title.title ??= entry.title;
          titles.set(entry.videoId, title);
        }
      }
    },
    series: () => [...points.values()],
    totals() {
      const sum = { rentalJpy: 0, subscriptionJpy: 0, totalJpy: 0, rentals: 0, subscriptionPayments: 0, refunds: 0 };
      for (const point of points.values()) {
        for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += point[key];
      }
      return sum;
    },
    topTitles: (limit: number) =>
      [...titles.values()]
        .sort((a, b) => b.revenueJpy - a.revenueJpy || b.rentals - a.rentals || a.videoId.localeCompare(b.videoId))
        .slice(0, limit),
  };
}

export interface SubscriberStats {
  /** Plans covering now (cancelled-at-period-end ones included: they paid for now). */
  active: number;
  /** Plans running at the range's start. */
  activeAtStart: number;
  started: number;
  /** Plans that ended inside the range. */
  churned: number;
  /** churned / activeAtStart, or null when nobody was subscribed at the start. */
  churnRate: number | null;
}

const ms = (iso: string | null) => (iso === null ? undefined : Date.parse(iso));

/** Was this plan running at instant `at`: started, not yet ended, and paid up to then. */
function runningAt(subscription: Subscription, at: number): boolean {
  const started = ms(subscription.startedAt);
  const ended = ms(subscription.endedAt);
  return started !== undefined && started <= at && (ended === undefined || ended > at);
}

/** Subscribers now and churn over the range: ended in the range ÷ running at its start. */
export function subscriberStats(
  subscriptions: readonly Subscription[],
  range: ReportRange,
  now: number,
): SubscriberStats {
  let active = 0;
  let activeAtStart = 0;
  let started = 0;
  let churned = 0;
  for (const subscription of subscriptions) {
    if (subscription.state !== 'ended' && now < Date.parse(subscription.periodEnd) && runningAt(subscription, now)) {
      active += 1;
    }
    if (runningAt(subscription, range.fromMs)) activeAtStart += 1;
    const startedAt = ms(subscription.startedAt);
    if (startedAt !== undefined && startedAt >= range.fromMs && startedAt < range.toMs) started += 1;
    const endedAt = ms(subscription.endedAt);
    if (startedAt !== undefined && endedAt !== undefined && endedAt >= range.fromMs && endedAt < range.toMs) {
      churned += 1;
    }
  }
  return {
    active,
    activeAtStart,
    started,
    churned,
    churnRate: activeAtStart === 0 ? null : Math.round((churned / activeAtStart) * 10_000) / 10_000,
  };
}

/** A viewer starting a title again within this long is the same play (cookie renewals, reloads). */
export const PLAY_SESSION_MS = 30 * 60 * 1000;
/**
 * How stale a play session's `lastAt` may get before a playback grant writes it again. Without it
 * every grant (each cookie renewal) was a durable write on the hot `/playback` path; with it a
 * session stays alive as long as grants come less than `PLAY_SESSION_MS - PLAY_SESSION_REFRESH_MS`
 * apart (25 minutes), and the grant path is a read in the steady state.
 */
export const PLAY_SESSION_REFRESH_MS = 5 * 60 * 1000;
