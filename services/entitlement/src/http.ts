import { z } from 'zod';
import { AppError, conflict, notFound } from '#shared/errors.js';
import { createRoute } from '@hono/zod-openapi';
import { parseInput, rawBody, serviceApp } from '#shared/http/app.js';
import { authenticate, requirePrincipal, signedIn } from '#shared/http/auth.js';
import { bearer, errors, JSON_BODY_ERRORS, jsonRequest, ok } from '#shared/http/openapi.js';
import { Id } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { CookieSigner } from '#shared/ports/cookie-signer.js';
import type { Payments } from '#shared/ports/payments.js';
import { WebhookSignatureError } from '#shared/ports/payments.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import type { UserDirectory } from '#shared/ports/user-directory.js';
import { accessAnswerJson } from './access-answer.js';
import { decideAccess } from './domain/access.js';
import { activeRentals, planAt, subscriptionView } from './domain/account.js';
import { canResume, currentSubscription, subscriptionStatus } from './domain/subscription.js';
import { fulfil } from './fulfilment.js';
import { adminReportRoutes } from './admin-reports.js';
import { adminUserRoutes } from './admin-users.js';
import { paymentRoutes } from './payments-routes.js';
import { playsStore } from './plays.js';
import { playbackHandler } from './playback.js';
import { entitlementStore } from './store.js';

export interface EntitlementDeps {
  table: Table;
  verifier: TokenVerifier;
  clock: Clock;
  logger?: Logger;
  /** Playback (CloudFront signed cookies); without these the playback route answers 503. */
  cookies?: CookieSigner;
  /** Origin the browser fetches HLS from (standalone: the public URL; AWS: the media host). */
  mediaOrigin?: string;
  /** `Domain=` of the playback cookies on AWS, e.g. `kinema.app`; unset standalone. */
  cookieDomain?: string;
  /** Life of playback cookies; default 10 minutes. */
  cookieTtlMs?: number;
  /** Checkout and webhooks (Stripe on AWS, the sandbox standalone); without it those answer 503. */
  payments?: Payments;
  /** The site's origin: where checkout returns the viewer (success and cancel pages). */
  siteOrigin?: string;
  /** The monthly plan's price as shown on pages (the provider's price is what is charged). */
  planPriceJpy?: number;
  /** The identity provider's accounts, for user management (admin); without it those routes answer 503. */
  users?: UserDirectory;
  /** How long `/access` may reuse a title's facts from memory; default 2 s. Playback never does. */
  factsCacheMs?: number;
}

/** Stripe's smallest JPY charge: a title priced below it is not for sale. */
export const MIN_CHARGE_JPY = 50;
const MAX_WEBHOOK_BYTES = 256 * 1024;

const AccessBody = z.object({ videoIds: z.array(Id).max(100) });
/** A path on the site to come back to: one leading slash, never `//host` (no open redirect). */
const ReturnPath = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[^\s]*$/, 'a path on this site such as /videos/abc');
/** The site's language, passed on to the payment page. */
const Locale = z.enum(['ja', 'en']).optional();

const CheckoutBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('subscription'), returnPath: ReturnPath.optional(), locale: Locale }),
  z.object({ kind: z.literal('rental'), videoId: Id, returnPath: ReturnPath.optional(), locale: Locale }),
]);

const PlaybackParams = z.object({ videoId: Id });
const StripeHeaders = z.object({ 'stripe-signature': z.string().max(4096).optional() });

export function createEntitlementApp(deps: EntitlementDeps) {
  const logger = deps.logger ?? silentLogger;
  const now = () => deps.clock.now();
  const store = entitlementStore(deps.table, { now, factsCacheMs: deps.factsCacheMs ?? 2000 });
  const siteOrigin = deps.siteOrigin ? new URL(parseInput(z.url(), deps.siteOrigin)).origin : undefined;
  const app = serviceApp({ logger, title: 'Kinema entitlement' });
  app.use(authenticate(deps.verifier));

  const requirePayments = () => {
    if (!deps.payments || !siteOrigin) throw new AppError('unavailable', 'payments are not configured on this server');
    return { payments: deps.payments, siteOrigin };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      summary: "The caller's plan, subscription and running rentals",
      security: bearer,
      middleware: [signedIn],
      responses: { 200: ok('`{userId, email, roles, plan, subscription, rentals}`'), ...errors('unauthorized') },
    }),
    async (c) => {
      const principal = requirePrincipal(c.get('principal'));
      const at = now();
      const { subscriptions, rentals } = await store.account(principal.userId);
      // Overlapping purchases of one title are one running rental: the one ending last.
      const running = new Map<string, (typeof rentals)[number]>();
      for (const rental of activeRentals(rentals, at)) running.set(rental.videoId, rental);
      return c.json({
        userId: principal.userId,
        email: principal.email ?? null,
        roles: principal.roles,
        plan: planAt(subscriptions, at),
        subscription: subscriptionView(subscriptions, at),
        rentals: [...running.values()].map(({ videoId, purchasedAt, expiresAt }) => ({
          videoId,
          purchasedAt,
          expiresAt,
          secondsLeft: Math.max(0, Math.floor((Date.parse(expiresAt) - at) / 1000)),
        })),
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/plans',
      summary: 'The monthly plan as shown on pages',
      responses: { 200: ok('`{monthly: {priceJpy, currency, interval}}`') },
    }),
    (c) => c.json({ monthly: { priceJpy: deps.planPriceJpy ?? 990, currency: 'jpy', interval: 'month' } }),
  );

  /** One call for a whole page: one query of the viewer's rights plus the titles' facts. */
  app.openapi(
    createRoute({
      method: 'post',
      path: '/access',
      summary: 'Whether the caller may watch each title, and until when',
      description: 'Anonymous callers are answered too (free previews only).',
      security: bearer,
      request: { body: jsonRequest(AccessBody) },
      responses: {
        200: ok('`{[videoId]: {canWatch, reason, expiresAt}}`'),
        ...errors(...JSON_BODY_ERRORS, 'unauthorized'),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { videoIds } = c.req.valid('json');
      const at = now();
      const [rights, facts] = await Promise.all([
        principal ? store.account(principal.userId) : Promise.resolve({ subscriptions: [], rentals: [] }),
        store.videoFactsMany(videoIds),
      ]);
      const answer = accessAnswerJson(videoIds, (videoId) =>
        decideAccess({
          principal,
          video: facts.get(videoId),
          subscriptions: rights.subscriptions,
          rentals: rights.rentals,
          now: at,
          videoId,
        }),
      );
      return c.body(answer, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'private, no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/checkout',
      summary: 'Start a checkout for the monthly plan or one rental',
      security: bearer,
      middleware: [signedIn],
      request: { body: jsonRequest(CheckoutBody) },
      responses: {
        200: ok('`{checkoutUrl}`: send the viewer there'),
        ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'not_found', 'conflict', 'unavailable'),
      },
    }),
    async (c) => {
      const principal = requirePrincipal(c.get('principal'));
      const body = c.req.valid('json');
      const { payments, siteOrigin: origin } = requirePayments();
      const at = now();
      const back = (fallback: string, outcome: 'success' | 'cancel') => {
        const url = new URL(body.returnPath ?? fallback, origin);
        url.searchParams.set('checkout', outcome);
        return url.toString();
      };
      const { subscriptions } = await store.account(principal.userId);
      if (body.kind === 'subscription') {
        if (planAt(subscriptions, at) === 'unlimited') {
          throw new AppError('conflict', 'you already have the monthly plan', { reason: 'already_subscribed' });
        }
        const { checkoutUrl } = await payments.createCheckout({
          kind: 'subscription',
          userId: principal.userId,
          ...(principal.email ? { email: principal.email } : {}),
          amountJpy: deps.planPriceJpy ?? 990,
          successUrl: back('/account', 'success'),
          cancelUrl: back('/account', 'cancel'),
          ...(body.locale ? { locale: body.locale } : {}),
        });
        return c.json({ checkoutUrl });
      }
      const video = await store.videoFacts(body.videoId);
      if (!video || video.deleted) throw notFound(`video ${body.videoId}`);
      if (!video.published) throw new AppError('conflict', 'this title is not available', { reason: 'not_published' });
      if (video.freePreview) throw new AppError('conflict', 'this title is free to watch', { reason: 'free_preview' });
      if (video.priceJpy < MIN_CHARGE_JPY) {
        throw new AppError('conflict', 'this title is not for sale', { reason: 'not_for_sale' });
      }
      const { checkoutUrl } = await payments.createCheckout({
        kind: 'rental',
        userId: principal.userId,
        ...(principal.email ? { email: principal.email } : {}),
        videoId: video.videoId,
        title: video.title,
        amountJpy: video.priceJpy,
        successUrl: back(`/videos/${video.videoId}`, 'success'),
        cancelUrl: back(`/videos/${video.videoId}`, 'cancel'),
        ...(body.locale ? { locale: body.locale } : {}),
      });
      return c.json({ checkoutUrl });
    },
  );

  /**
   * Cancel at period end (`renews: false`) or withdraw that cancellation before the period ends
   * (`renews: true`): the provider is asked first, then the store says so at once. Asking for what
   * already holds changes nothing.
   */
  async function setRenewal(userId: string, renews: boolean) {
    const { payments } = requirePayments();
    const at = now();
    const { subscriptions } = await store.account(userId);
    const subscription = currentSubscription(subscriptions, at);
    if (!subscription || subscriptionStatus(subscription, at) === 'ended') throw notFound('an active plan');
    if (subscription.cancelAtPeriodEnd === renews) {
      if (renews && !canResume(subscription, at)) throw conflict('the paid period is over: subscribe again');
      await (renews
        ? payments.resumeSubscription(subscription.subscriptionId)
        : payments.cancelSubscription(subscription.subscriptionId));
      await store.applySubscription(
        { subscriptionId: subscription.subscriptionId, userId, fact: { at, cancelAtPeriodEnd: !renews } },
        at,
      );
    }
    const after = await store.account(userId);
    return { subscription: subscriptionView(after.subscriptions, at) };
  }

  /** Cancel at period end: the provider is asked first, then the store says so at once. */
  app.openapi(
    createRoute({
      method: 'post',
      path: '/subscription/cancel',
      summary: 'Cancel the monthly plan at the end of the paid period',
      security: bearer,
      middleware: [signedIn],
      responses: { 200: ok('`{subscription}`'), ...errors('unauthorized', 'not_found', 'unavailable') },
    }),
    async (c) => c.json(await setRenewal(requirePrincipal(c.get('principal')).userId, false)),
  );

  /** Withdraw a cancellation before the period ends: the provider first, then the store at once. */
  app.openapi(
    createRoute({
      method: 'post',
      path: '/subscription/resume',
      summary: 'Keep a cancelled monthly plan: it renews again at the end of the paid period',
      security: bearer,
      middleware: [signedIn],
      responses: {
        200: ok('`{subscription}`'),
        ...errors('unauthorized', 'not_found', 'conflict', 'unavailable'),
      },
    }),
    async (c) => c.json(await setRenewal(requirePrincipal(c.get('principal')).userId, true)),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/stripe',
      summary: "The payment provider's webhook (Stripe-Signature verified)",
      description: 'The signature covers the exact bytes, so the body is read raw, not through a schema.',
      // Not configured answers 503 before the body is looked at; then the size, then the signature.
      middleware: [
        async (_c, next) => {
          requirePayments();
          await next();
        },
        rawBody(MAX_WEBHOOK_BYTES),
      ],
      request: {
        headers: StripeHeaders,
        body: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', description: 'a Stripe event' } } },
        },
      },
      responses: {
        200: ok('`{received: true, outcome}`'),
        ...errors('invalid_input', 'not_found', 'payload_too_large', 'unavailable'),
      },
    }),
    async (c) => {
      const { payments } = requirePayments();
      // The signature covers the exact bytes: read the raw text, never re-serialised JSON.
      const raw = await c.req.text();
      let fact;
      try {
        fact = await payments.parseWebhook(raw, c.req.header('stripe-signature'));
      } catch (error) {
        if (error instanceof WebhookSignatureError) {
          logger.warn('webhook refused', { reason: error.message });
          throw new AppError('invalid_input', `webhook refused: ${error.message}`);
        }
        throw error;
      }
      if (!fact) return c.json({ received: true, outcome: 'ignored' });
      const result = await fulfil(store, fact, now(), logger);
      logger.info('payment fact', { kind: fact.kind, eventId: fact.eventId, outcome: result.outcome });
      return c.json({ received: true, outcome: result.outcome });
    },
  );

  paymentRoutes(app, store.ledger);
  const plays = playsStore(deps.table);
  adminReportRoutes(app, { table: deps.table, store, ledger: store.ledger, plays, now, logger });
  adminUserRoutes(app, { table: deps.table, now, ...(deps.users ? { users: deps.users } : {}) });

  const { cookies, mediaOrigin } = deps;
  app.openapi(
    createRoute({
      method: 'post',
      path: '/playback/{videoId}',
      summary: 'Authorise playback of one title: sets its CloudFront signed cookies',
      description:
        'Answers `{manifestUrl, expiresAt}` with `Set-Cookie` CloudFront-Policy, CloudFront-Signature and ' +
        "CloudFront-Key-Pair-Id, scoped to the title's HLS path.",
      security: bearer,
      // Who asks is answered before what they ask about (401 before a malformed id's 400).
      middleware: cookies && mediaOrigin ? [signedIn] : [],
      request: { params: PlaybackParams },
      responses: {
        200: ok('`{manifestUrl, expiresAt}` and the three cookies'),
        ...errors('invalid_input', 'unauthorized', 'payment_required', 'not_found', 'unavailable'),
      },
    }),
    cookies && mediaOrigin
      ? playbackHandler({
          cookies,
          mediaOrigin,
          clock: deps.clock,
          store,
          recordPlay: plays.record,
          onPlayError: (error) => logger.warn('play not counted', { err: error }),
          cookieDomain: deps.cookieDomain,
          cookieTtlMs: deps.cookieTtlMs,
        })
      : () => {
          throw new AppError('unavailable', 'playback is not configured on this server');
        },
  );

  return app;
}
