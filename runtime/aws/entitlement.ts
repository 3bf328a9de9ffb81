import { z } from 'zod';
import { Hono } from 'hono';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerSecrets } from '#platform/aws/secrets.js';
import type { AppEnv } from '#shared/http/app.js';
import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';
import { entitlementAdapters, type EntitlementSecret } from './entitlement-secrets.js';
import { parseConfig } from '#shared/config.js';
import { MONTHLY_PLAN } from '#services/entitlement/src/domain/plans.js';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { entitlementSubscriptions } from '#services/entitlement/src/subscribers.js';

/**
 * What infra/entitlement.ts and infra/cdn.ts put in this Lambda's environment: names and ARNs,
 * never a secret value. The Stripe API key, the webhook signing secret, the CloudFront private
 * key and the Auth0 plan-sync client secret are read from Secrets Manager at cold start (cached,
 * read again after a webhook signature failure and every 15 minutes), so a rotation needs no
 * redeploy and `lambda:GetFunctionConfiguration` reveals nothing.
 */
const EntitlementEnv = z.object({
  STRIPE_SECRET_KEY_SECRET_ARN: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET_SECRET_ARN: z.string().min(1).optional(),
  STRIPE_PLAN_PRICE_ID: z.string().min(1).optional(),
  STRIPE_PLAN_LOOKUP_KEY: z.string().min(1).default(MONTHLY_PLAN.stripeLookupKey),
  PLAN_PRICE_JPY: z.coerce.number().int().positive().default(MONTHLY_PLAN.priceJpy),
  SITE_ORIGIN: z.url().optional(),
  CLOUDFRONT_KEY_PAIR_ID: z.string().min(1).optional(),
  CLOUDFRONT_PRIVATE_KEY_SECRET_ARN: z.string().min(1).optional(),
  MEDIA_ORIGIN: z.url().optional(),
  COOKIE_DOMAIN: z.string().min(1).optional(),
  /** A machine-to-machine client allowed to update users' app_metadata (the plan claim). */
  AUTH0_DOMAIN: z.string().min(1).optional(),
  AUTH0_MGMT_CLIENT_ID: z.string().min(1).optional(),
  AUTH0_MGMT_CLIENT_SECRET_ARN: z.string().min(1).optional(),
});

/** AWS composition root of the entitlement service: the same Hono app, on DynamoDB, Auth0 and Stripe. */
const deps = awsServiceDeps(process.env);
const env = parseConfig(EntitlementEnv, process.env);

const secretIds = Object.fromEntries(
  Object.entries({
    stripeKey: env.STRIPE_SECRET_KEY_SECRET_ARN,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET_SECRET_ARN,
    cookieKey: env.CLOUDFRONT_PRIVATE_KEY_SECRET_ARN,
    auth0Secret: env.AUTH0_MGMT_CLIENT_SECRET_ARN,
  }).filter((entry): entry is [string, string] => entry[1] !== undefined),
) as Partial<Record<EntitlementSecret, string>>;

const adapters = entitlementAdapters({
  secrets: secretsManagerSecrets({ client: new SecretsManagerClient({}), ids: secretIds }),
  stripe: env.STRIPE_PLAN_PRICE_ID
    ? { planPriceId: env.STRIPE_PLAN_PRICE_ID }
    : { planLookupKey: env.STRIPE_PLAN_LOOKUP_KEY },
  ...(env.CLOUDFRONT_KEY_PAIR_ID ? { keyPairId: env.CLOUDFRONT_KEY_PAIR_ID } : {}),
  ...(env.AUTH0_DOMAIN && env.AUTH0_MGMT_CLIENT_ID
    ? { auth0: { domain: env.AUTH0_DOMAIN, clientId: env.AUTH0_MGMT_CLIENT_ID } }
    : {}),
  logger: deps.logger,
});
// Cold start: read the secrets once before the first request (top-level await in the ES module).
await adapters.ready();

/**
 * API Gateway (HTTP API) → `/api/entitlement/*`, and the EventBridge rules built from
 * `entitlementSubscriptions()`. A stale secret cache is read again before each request, so
 * signing uses the current key.
 */
export const { handler, onEvent } = serviceLambda('entitlement', deps, {
  app: new Hono<AppEnv>()
    .use(async (_c, next) => {
      await adapters.ready();
      await next();
    })
    .route(
      '/',
      createEntitlementApp({
        ...deps,
        payments: adapters.payments,
        cookies: adapters.cookies,
        users: adapters.directory,
        ...(env.MEDIA_ORIGIN ? { mediaOrigin: env.MEDIA_ORIGIN } : {}),
        ...(env.COOKIE_DOMAIN ? { cookieDomain: env.COOKIE_DOMAIN } : {}),
        ...(env.SITE_ORIGIN ? { siteOrigin: env.SITE_ORIGIN } : {}),
        planPriceJpy: env.PLAN_PRICE_JPY,
      }),
    ),
  subscriptions: entitlementSubscriptions({
    table: deps.table,
    clock: deps.clock,
    directory: adapters.directory,
  }),
});
