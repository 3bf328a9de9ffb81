import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripeTestSignature, stripeWebhookParser } from '#protocol/stripe-webhook.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import { VideoCreated, VideoDeleted, VideoPublished, VideoUnpublished } from '#shared/events/catalog.js';
import type { EventEnvelope } from '#shared/events/define.js';
import { deliver } from '#shared/events/subscribe.js';
import type { CookieSigner } from '#shared/ports/cookie-signer.js';
import type { CheckoutRequest, Payments } from '#shared/ports/payments.js';
import type { Role } from '#shared/ports/token-verifier.js';
import { testAuth } from '#test/support/auth.js';
import { createEntitlementApp } from '../src/http.js';
import type { EntitlementDeps } from '../src/http.js';
import { entitlementSubscriptions } from '../src/subscribers.js';

export const WEBHOOK_SECRET = 'whsec_test_entitlement';
export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
export const HOUR = 3600 * 1000;

/** Records CloudFront signing calls instead of signing (services may not import the AWS signer). */
export function recordingSigner() {
  const calls: { resource: string; dateLessThan: number }[] = [];
  const signer: CookieSigner = {
    sign(resource, dateLessThan) {
      calls.push({ resource, dateLessThan });
      return {
        'CloudFront-Policy': `policy${calls.length}`,
        'CloudFront-Signature': `signature${calls.length}`,
        'CloudFront-Key-Pair-Id': 'KTEST',
      };
    },
  };
  return { signer, calls };
}

/**
 * The entitlement app on a throw-away SQLite file, a settable clock, the real Stripe webhook parser
 * (Stripe's own header generator signs test deliveries) and a checkout that records requests.
 */
export async function entitlementHarness(overrides: Partial<EntitlementDeps> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-entitlement-'));
  const clock = { at: T0, now: () => clock.at };
  const table: SqliteTable = sqliteTable({ file: join(dir, 'entitlement.db'), now: clock.now });
  const auth = await testAuth(clock.now);
  const checkouts: CheckoutRequest[] = [];
  const cancelled: string[] = [];
  const resumed: string[] = [];
  const payments: Payments = {
    async createCheckout(request) {
      checkouts.push(request);
      return { checkoutUrl: `https://checkout.test/${checkouts.length}` };
    },
    parseWebhook: stripeWebhookParser({ webhookSecret: WEBHOOK_SECRET, clock }),
    async cancelSubscription(subscriptionId) {
      cancelled.push(subscriptionId);
    },
    async resumeSubscription(subscriptionId) {
      resumed.push(subscriptionId);
    },
  };
  const { signer, calls } = recordingSigner();
  const app = createEntitlementApp({
    table,
    verifier: auth.verifier,
    clock,
    cookies: signer,
    mediaOrigin: 'http://localhost:3000',
    payments,
    siteOrigin: 'http://localhost:3000',
    factsCacheMs: 0,
    ...overrides,
  });
  const subscriptions = entitlementSubscriptions({ table });

  const headers = async (userId?: string, roles: Role[] = ['viewer']) =>
    userId ? await auth.bearer(userId, roles) : ({} as Record<string, string>);
  const call = async (method: string, path: string, options: { as?: string; roles?: Role[]; body?: unknown } = {}) =>
    app.request(path, {
      method,
      headers: {
        ...(await headers(options.as, options.roles)),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });

  /** Delivers a catalog event to entitlement's subscriber, through the inbox, as the bus would. */
  const catalog = async (envelope: EventEnvelope) => {
    const subscription = subscriptions.find((found) => found.event.matches(envelope));
    if (!subscription) throw new Error(`no subscriber for ${envelope['detail-type']}`);
    return deliver(subscription, envelope, table, clock.at);
  };
  const facts = (videoId: string, extra: { priceJpy?: number; freePreview?: boolean } = {}) => ({
    videoId,
    title: `Title ${videoId}`,
    description: '',
    cast: [],
    genres: [],
    priceJpy: extra.priceJpy ?? 400,
    freePreview: extra.freePreview ?? false,
  });
  /** A published title, as the catalog announces it. */
  const publish = async (videoId: string, extra: { priceJpy?: number; freePreview?: boolean } = {}) => {
    await catalog(VideoCreated.create(facts(videoId, extra), clock.at - 2000));
    await catalog(VideoPublished.create(facts(videoId, extra), clock.at - 1000));
  };
  const unpublish = (videoId: string) => catalog(VideoUnpublished.create({ videoId }, clock.at));
  const remove = (videoId: string) => catalog(VideoDeleted.create({ videoId }, clock.at));

  /** POSTs a Stripe event signed exactly as Stripe signs it (its own test header generator). */
  const webhook = async (
    event: { id: string; type: string; object: Record<string, unknown>; created?: number },
    options: { secret?: string; signedAt?: number; signature?: string | null } = {},
  ) => {
    const payload = JSON.stringify({
      id: event.id,
      object: 'event',
      type: event.type,
      created: event.created ?? Math.floor(clock.at / 1000),
      data: { object: event.object },
    });
    const signature =
      options.signature === undefined
        ? await stripeTestSignature(
            payload,
            options.secret ?? WEBHOOK_SECRET,
            Math.floor((options.signedAt ?? clock.at) / 1000),
          )
        : options.signature;
    return app.request('/webhooks/stripe', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'stripe-signature': signature }) },
      body: payload,
    });
  };

  const rentalPaid = (eventId: string, userId: string, videoId: string, paymentId: string, amount = 400) => ({
    id: eventId,
    type: 'checkout.session.completed',
    object: {
      id: `cs_${paymentId}`,
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      client_reference_id: userId,
      metadata: { kind: 'rental', userId, videoId },
      payment_intent: paymentId,
      amount_total: amount,
      currency: 'jpy',
    },
  });

  return {
    app,
    table,
    clock,
    auth,
    call,
    catalog,
    publish,
    unpublish,
    remove,
    webhook,
    rentalPaid,
    checkouts,
    cancelled,
    resumed,
    signerCalls: calls,
    outbox: () => table.outbox.pending(1000).map((row) => row.envelope),
    close() {
      table.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type EntitlementHarness = Awaited<ReturnType<typeof entitlementHarness>>;
