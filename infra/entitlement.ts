import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { CookieKeySecret } from './cdn.js';
import type { StackConfig } from './config.js';
import type { ServiceExtras } from './services.js';

/**
 * Stripe's secrets. Pulumi creates the secrets but never their values; set them once, in the
 * primary region, before the first deployment that runs the entitlement service (the replicas
 * in the peer region follow):
 *
 *   aws secretsmanager put-secret-value --secret-id kinema/stripe-secret-key --secret-string sk_live_…
 *   aws secretsmanager put-secret-value --secret-id kinema/stripe-webhook-secret --secret-string whsec_…
 *
 * The webhook endpoint in the Stripe dashboard is `https://<domain>/api/entitlement/webhooks/stripe`
 * with the events checkout.session.completed, checkout.session.async_payment_succeeded,
 * customer.subscription.updated/deleted, invoice.paid, invoice.payment_failed and charge.refunded;
 * the plan is the recurring JPY price with lookup key `kinema_monthly`.
 */
export const STRIPE_SECRET_KEY_SECRET = 'kinema/stripe-secret-key';
export const STRIPE_WEBHOOK_SECRET_SECRET = 'kinema/stripe-webhook-secret';

export interface EntitlementSecrets {
  stripeKey: CookieKeySecret;
  webhookSecret: CookieKeySecret;
}

/** The primary creates the secrets with a replica in the peer region; the standby finds its replicas. */
export function entitlementSecrets(config: StackConfig): EntitlementSecrets {
  const secret = (resourceName: string, name: string, description: string): CookieKeySecret => {
    if (config.role === 'secondary') {
      return { arn: aws.secretsmanager.getSecretOutput({ name }).arn, name };
    }
    const created = new aws.secretsmanager.Secret(resourceName, {
      name,
      description: `${description}; its value is set out of band (infra/entitlement.ts)`,
      replicas: [{ region: config.peerRegion }],
      recoveryWindowInDays: 30,
    });
    return { arn: created.arn, name };
  };
  return {
    stripeKey: secret('stripe-secret-key', STRIPE_SECRET_KEY_SECRET, 'Stripe secret API key'),
    webhookSecret: secret('stripe-webhook-secret', STRIPE_WEBHOOK_SECRET_SECRET, 'Stripe webhook signing secret'),
  };
}

/**
 * A secret's current value, read by Pulumi at deploy time. The provider marks `secretString` as a
 * Pulumi secret, so the Lambda's environment is encrypted in the state and masked in previews.
 */
const secretValue = (secret: CookieKeySecret) =>
  aws.secretsmanager.getSecretVersionOutput({ secretId: secret.arn }).secretString.apply((value) => value ?? '');

/**
 * What the entitlement Lambda adds to the common wiring: Stripe's key and webhook secret and the
 * CloudFront private key as (Pulumi-secret) environment values — `@aws-sdk/client-secrets-manager`
 * is not a dependency, so the function cannot read Secrets Manager at cold start yet — the site's
 * origin for checkout return URLs, and GetSecretValue on exactly the two Stripe secrets (the cookie
 * key's grant comes from infra/cdn.ts), ready for that cold-start read.
 */
export function entitlementExtras(
  config: StackConfig,
  secrets: EntitlementSecrets,
  cookieKey: CookieKeySecret,
): ServiceExtras {
  return {
    environment: {
      STRIPE_SECRET_KEY: secretValue(secrets.stripeKey),
      STRIPE_WEBHOOK_SECRET: secretValue(secrets.webhookSecret),
      CLOUDFRONT_PRIVATE_KEY: secretValue(cookieKey),
      STRIPE_SECRET_KEY_SECRET_ARN: secrets.stripeKey.arn,
      STRIPE_WEBHOOK_SECRET_SECRET_ARN: secrets.webhookSecret.arn,
      SITE_ORIGIN: config.siteOrigin,
      COOKIE_DOMAIN: config.domain,
    },
    grants: [
      { Action: ['secretsmanager:GetSecretValue'], Resource: [secrets.stripeKey.arn, secrets.webhookSecret.arn] },
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
