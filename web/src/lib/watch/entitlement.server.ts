import { z } from 'zod';
import { AccessReason, SubscriptionStatus } from '#shared/responses.js';
import { api, ApiError } from '$lib/server/api';
import type { ApiEvent } from '$lib/server/api';
import type { ViewerAccess } from './access';

/**
 * The entitlement API as pages use it (backend-for-frontend): one batched access call per page,
 * the plan's price, the account's plan and rentals, checkout, cancel and the admin's sales.
 */

const AccessAnswer = z.record(
  z.string(),
  z.object({
    canWatch: z.boolean(),
    reason: AccessReason,
    expiresAt: z.string().nullable(),
  }),
);

/** The API takes at most this many ids per call. */
const ACCESS_BATCH = 100;

/**
 * Play / Rent / Subscribe for every title of a page, in one call (pages hold far fewer than 100).
 * An anonymous visitor who would need to buy is told to sign in first. Null when the entitlement
 * API is away: the page then shows prices without a decision rather than failing.
 */
export async function accessFor(
  event: ApiEvent,
  videoIds: readonly string[],
): Promise<Record<string, ViewerAccess> | null> {
  const ids = [...new Set(videoIds)];
  if (ids.length === 0) return {};
  const signedIn = Boolean(event.locals.session);
  try {
    const answers: Record<string, ViewerAccess> = {};
    for (let start = 0; start < ids.length; start += ACCESS_BATCH) {
      const videoIds = ids.slice(start, start + ACCESS_BATCH);
      const answer = await api(event, '/api/entitlement/access', { json: { videoIds }, schema: AccessAnswer });
      for (const [videoId, access] of Object.entries(answer)) {
        answers[videoId] =
          !signedIn && access.reason === 'not_entitled' ? { ...access, reason: 'signin_required' } : access;
      }
    }
    return answers;
  } catch (error) {
    console.error(JSON.stringify({ level: 'warn', msg: 'access unavailable', err: String(error) }));
    return null;
  }
}

const Plans = z.object({ monthly: z.object({ priceJpy: z.number().int().nonnegative() }).loose() }).loose();

/** The plan's price changes with a deploy, not per request: keep it for a few minutes. */
const PLAN_CACHE_MS = 5 * 60 * 1000;
let planCache: { priceJpy: number; at: number } | undefined;

/** The monthly plan's price in yen, or null when it cannot be read just now. */
export async function planPrice(event: ApiEvent): Promise<number | null> {
  if (planCache && Date.now() - planCache.at < PLAN_CACHE_MS) return planCache.priceJpy;
  try {
    const plans = await api(event, '/api/entitlement/plans', { schema: Plans });
    planCache = { priceJpy: plans.monthly.priceJpy, at: Date.now() };
    return planCache.priceJpy;
  } catch {
    return planCache?.priceJpy ?? null;
  }
}

export const SubscriptionView = z.object({
  subscriptionId: z.string(),
  status: SubscriptionStatus,
  periodEnd: z.string(),
  cancelAtPeriodEnd: z.boolean(),
  renewsAt: z.string().nullable().optional(),
});
export type SubscriptionView = z.infer<typeof SubscriptionView>;

export const Account = z.object({
  plan: z.enum(['unlimited', 'none']),
  subscription: SubscriptionView.nullable(),
  rentals: z.array(
    z.object({ videoId: z.string(), purchasedAt: z.string(), expiresAt: z.string(), secondsLeft: z.number() }),
  ),
});
export type Account = z.infer<typeof Account>;

/** `GET /api/entitlement/me`: the plan, the subscription and the running rentals. */
export function myAccount(event: ApiEvent): Promise<Account> {
  return api(event, '/api/entitlement/me', { schema: Account });
}

export type CheckoutRequest = (
  { kind: 'subscription'; returnPath: string } | { kind: 'rental'; videoId: string; returnPath: string }
) & { locale?: 'ja' | 'en' };

/** Why a checkout could not start, as the page explains it. */
export type CheckoutRefusal = 'signin' | 'already_subscribed' | 'unavailable' | 'failed';

/** Opens a checkout session; the browser is then sent to `checkoutUrl` (Stripe, or the sandbox). */
export async function startCheckout(
  event: ApiEvent,
  request: CheckoutRequest,
): Promise<{ checkoutUrl: string } | { refused: CheckoutRefusal }> {
  try {
    const answer = await api(event, '/api/entitlement/checkout', {
      json: request,
      schema: z.object({ checkoutUrl: z.url({ protocol: /^https?$/ }) }),
    });
    return answer;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) return { refused: 'signin' };
    const reason = z.object({ reason: z.string() }).safeParse(error.details).data?.reason;
    if (reason === 'already_subscribed') return { refused: 'already_subscribed' };
    if (error.status === 409 || error.status === 404) return { refused: 'unavailable' };
    console.error(JSON.stringify({ level: 'warn', msg: 'checkout failed', status: error.status, err: error.message }));
    return { refused: 'failed' };
  }
}

/** Keep a cancelled plan: it renews again at the end of the paid period. */
export async function resumePlan(event: ApiEvent): Promise<SubscriptionView | null> {
  const answer = await api(event, '/api/entitlement/subscription/resume', {
    method: 'POST',
    json: {},
    schema: z.object({ subscription: SubscriptionView.nullable() }),
  });
  return answer.subscription;
}

/** Cancel at the end of the paid period. */
export async function cancelPlan(event: ApiEvent): Promise<SubscriptionView | null> {
  const answer = await api(event, '/api/entitlement/subscription/cancel', {
    method: 'POST',
    json: {},
    schema: z.object({ subscription: SubscriptionView.nullable() }),
  });
  return answer.subscription;
}

export const Sales = z.object({
  generatedAt: z.string(),
  items: z.array(
    z.object({
      videoId: z.string(),
      title: z.string().nullable(),
      purchases: z.number(),
      refunds: z.number(),
      revenueJpy: z.number(),
      activeRentals: z.number(),
    }),
  ),
});
export type Sales = z.infer<typeof Sales>;

/** `GET /api/entitlement/admin/sales` (admins). */
export function sales(event: ApiEvent): Promise<Sales> {
  return api(event, '/api/entitlement/admin/sales', { schema: Sales });
}
