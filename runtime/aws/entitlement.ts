import { z } from 'zod';
import { auth0Directory } from '#platform/aws/auth0-directory.js';
import { cloudFrontCookieSigner } from '#protocol/cloudfront-cookies.js';
import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';
import { stripePayments } from '#platform/aws/stripe-payments.js';
import { parseConfig } from '#shared/config.js';
import { MONTHLY_PLAN } from '#services/entitlement/src/domain/plans.js';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { entitlementSubscriptions } from '#services/entitlement/src/subscribers.js';

/**
 * What infra/entitlement.ts and infra/cdn.ts add to this Lambda's environment. The three secret
 * values (Stripe API key, webhook signing secret, CloudFront private key) are read from Secrets
 * Manager by Pulumi at deploy time and injected as (Pulumi-secret) environment variables, because
 * `@aws-sdk/client-secrets-manager` is not a dependency; the role's GetSecretValue grant is there
 * for reading them at cold start once it is.
 */
const EntitlementEnv = z.object({
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_PLAN_PRICE_ID: z.string().min(1).optional(),
  STRIPE_PLAN_LOOKUP_KEY: z.string().min(1).default(MONTHLY_PLAN.stripeLookupKey),
  PLAN_PRICE_JPY: z.coerce.number().int().positive().default(MONTHLY_PLAN.priceJpy),
  SITE_ORIGIN: z.url().optional(),
  CLOUDFRONT_KEY_PAIR_ID: z.string().min(1).optional(),
  CLOUDFRONT_PRIVATE_KEY: z.string().min(1).optional(),
  MEDIA_ORIGIN: z.url().optional(),
  COOKIE_DOMAIN: z.string().min(1).optional(),
  /** A machine-to-machine client allowed to update users' app_metadata (the plan claim). */
  AUTH0_DOMAIN: z.string().min(1).optional(),
  AUTH0_MGMT_CLIENT_ID: z.string().min(1).optional(),
  AUTH0_MGMT_CLIENT_SECRET: z.string().min(1).optional(),
});

/** AWS composition root of the entitlement service: the same Hono app, on DynamoDB, Auth0 and Stripe. */
const deps = awsServiceDeps(process.env);
const env = parseConfig(EntitlementEnv, process.env);

const payments =
  env.STRIPE_SECRET_KEY && env.STRIPE_WEBHOOK_SECRET
    ? stripePayments({
        apiKey: env.STRIPE_SECRET_KEY,
        webhookSecret: env.STRIPE_WEBHOOK_SECRET,
        ...(env.STRIPE_PLAN_PRICE_ID
          ? { planPriceId: env.STRIPE_PLAN_PRICE_ID }
          : { planLookupKey: env.STRIPE_PLAN_LOOKUP_KEY }),
      })
    : undefined;
const cookies =
  env.CLOUDFRONT_KEY_PAIR_ID && env.CLOUDFRONT_PRIVATE_KEY
    ? cloudFrontCookieSigner({ keyPairId: env.CLOUDFRONT_KEY_PAIR_ID, privateKey: env.CLOUDFRONT_PRIVATE_KEY })
    : undefined;
const directory =
  env.AUTH0_DOMAIN && env.AUTH0_MGMT_CLIENT_ID && env.AUTH0_MGMT_CLIENT_SECRET
    ? auth0Directory({
        domain: env.AUTH0_DOMAIN,
        clientId: env.AUTH0_MGMT_CLIENT_ID,
        clientSecret: env.AUTH0_MGMT_CLIENT_SECRET,
      })
    : undefined;
if (!directory) deps.logger.warn('the Auth0 Management API is not configured: the plan claim is not kept current');
if (!payments) deps.logger.warn('Stripe is not configured: checkout and webhooks answer 503');
if (!cookies) deps.logger.warn('the CloudFront key is not configured: playback answers 503');

export const { handler, onEvent } = serviceLambda('entitlement', deps, {
  app: createEntitlementApp({
    ...deps,
    ...(payments ? { payments } : {}),
    ...(cookies ? { cookies } : {}),
    ...(env.MEDIA_ORIGIN ? { mediaOrigin: env.MEDIA_ORIGIN } : {}),
    ...(env.COOKIE_DOMAIN ? { cookieDomain: env.COOKIE_DOMAIN } : {}),
    ...(env.SITE_ORIGIN ? { siteOrigin: env.SITE_ORIGIN } : {}),
    planPriceJpy: env.PLAN_PRICE_JPY,
  }),
  subscriptions: entitlementSubscriptions({
    table: deps.table,
    clock: deps.clock,
    ...(directory ? { directory } : {}),
  }),
});
