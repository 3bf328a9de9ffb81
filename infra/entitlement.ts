import type * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.js';
import { runtimeSecret, SECRET_NAMES, type RuntimeSecret } from './secrets.js';
import type { ServiceExtras } from './services.js';

/**
 * The entitlement service's secrets: Stripe's API key and webhook signing secret, the CloudFront
 * private key that signs playback cookies, and the Auth0 plan-sync client's secret. Created empty;
 * the operator fills them (README: Fill the secrets):
 *
 *   aws secretsmanager put-secret-value --secret-id kinema/stripe-secret-key --secret-string sk_live_…
 *   aws secretsmanager put-secret-value --secret-id kinema/stripe-webhook-secret --secret-string whsec_…
 *   aws secretsmanager put-secret-value --secret-id kinema/cloudfront-private-key --secret-string file://private.pem
 *   aws secretsmanager put-secret-value --secret-id kinema/auth0-plan-sync-client-secret --secret-string …
 *
 * The webhook endpoint in the Stripe dashboard is `https://<domain>` + STRIPE_WEBHOOK_PATH
 * with the events checkout.session.completed, checkout.session.async_payment_succeeded,
 * customer.subscription.updated/deleted, invoice.paid, invoice.payment_failed and charge.refunded;
 * the plan is the recurring JPY price with lookup key `kinema_monthly`.
 */
/** Where Stripe sends webhooks, on the site's domain (the Stripe dashboard's endpoint URL). */
export const STRIPE_WEBHOOK_PATH = '/api/entitlement/webhooks/stripe';

export interface EntitlementSecrets {
  stripeKey: RuntimeSecret;
  webhookSecret: RuntimeSecret;
  cookieKey: RuntimeSecret;
  auth0PlanSync: RuntimeSecret;
}

export function entitlementSecrets(config: StackConfig): EntitlementSecrets {
  return {
    stripeKey: runtimeSecret(config, 'stripe-secret-key', SECRET_NAMES.stripeSecretKey, 'Stripe secret API key'),
    webhookSecret: runtimeSecret(
      config,
      'stripe-webhook-secret',
      SECRET_NAMES.stripeWebhookSecret,
      'Stripe webhook signing secret',
    ),
    cookieKey: runtimeSecret(
      config,
      'cloudfront-private-key',
      SECRET_NAMES.cloudFrontPrivateKey,
      'PEM private key signing CloudFront playback cookies',
    ),
    auth0PlanSync: runtimeSecret(
      config,
      'auth0-plan-sync-secret',
      SECRET_NAMES.auth0PlanSyncSecret,
      'Client secret of the Auth0 plan-sync machine client',
    ),
  };
}

/**
 * What the entitlement Lambdas add to the common wiring: where each secret is (ARNs, read at cold
 * start by runtime/aws/entitlement.ts), the site's origin for checkout return URLs, the playback
 * cookies' key pair id, origin and domain, and GetSecretValue on exactly these secrets.
 */
export function entitlementExtras(
  config: StackConfig,
  secrets: EntitlementSecrets,
  playback: { keyPairId: pulumi.Input<string> },
): ServiceExtras {
  return {
    environment: {
      STRIPE_SECRET_KEY_SECRET_ARN: secrets.stripeKey.arn,
      STRIPE_WEBHOOK_SECRET_SECRET_ARN: secrets.webhookSecret.arn,
      CLOUDFRONT_PRIVATE_KEY_SECRET_ARN: secrets.cookieKey.arn,
      AUTH0_MGMT_CLIENT_SECRET_ARN: secrets.auth0PlanSync.arn,
      SITE_ORIGIN: config.siteOrigin,
      CLOUDFRONT_KEY_PAIR_ID: playback.keyPairId,
      // One origin: HLS is served by the site's own distribution, so the cookies are first-party.
      MEDIA_ORIGIN: config.siteOrigin,
      COOKIE_DOMAIN: config.domain,
    },
    grants: [
      {
        Action: ['secretsmanager:GetSecretValue'],
        Resource: Object.values(secrets).map((secret: RuntimeSecret) => secret.arn),
      },
    ],
  };
}

/** Several modules' extras for one service, environments merged and grants concatenated. */
export function mergeExtras(...all: ServiceExtras[]): ServiceExtras {
  return {
    environment: Object.assign({}, ...all.map((extras) => extras.environment ?? {})) as Record<
      string,
      pulumi.Input<string>
    >,
    grants: all.flatMap((extras) => extras.grants ?? []),
  };
}
