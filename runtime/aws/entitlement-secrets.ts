import { auth0Directory } from '#platform/aws/auth0-directory.js';
import type { CachedSecrets, SecretValues } from '#platform/aws/secrets.js';
import { stripePayments } from '#platform/aws/stripe-payments.js';
import { cloudFrontCookieSigner } from '#protocol/cloudfront-cookies.js';
import { AppError } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import type { CookieSigner } from '#shared/ports/cookie-signer.js';
import type { IdentityDirectory } from '#shared/ports/identity-directory.js';
import type { UserDirectory } from '#shared/ports/user-directory.js';
import { WebhookSignatureError, type Payments } from '#shared/ports/payments.js';

/** The entitlement Lambda's secrets, by role (each one a Secrets Manager secret of its own). */
export type EntitlementSecret = 'stripeKey' | 'webhookSecret' | 'cookieKey' | 'auth0Secret';

export interface EntitlementAdaptersOptions {
  secrets: CachedSecrets<EntitlementSecret>;
  stripe: { planPriceId: string } | { planLookupKey: string };
  /** The CloudFront public key id; without it playback answers 503. */
  keyPairId?: string;
  /** The plan-sync machine client; its secret is `auth0Secret`. */
  auth0?: { domain: string; clientId: string };
  logger: Logger;
}

interface Built {
  payments?: Payments;
  cookies?: CookieSigner;
  directory?: IdentityDirectory & UserDirectory;
}

/**
 * The adapters that need a secret, built from the values Secrets Manager holds now, and rebuilt
 * when those change. The service is handed stable delegates: a secret still empty answers 503
 * (`unavailable`) on the route that needs it, a webhook whose signature fails makes one fresh read
 * (the operator may have rotated the signing secret) and one retry, and every request first lets
 * a stale cache be read again, so a rotated key takes effect within the cache's age.
 */
export function entitlementAdapters(options: EntitlementAdaptersOptions) {
  let built: Built = {};
  let builtFrom: SecretValues<EntitlementSecret> | undefined;

  const build = (values: SecretValues<EntitlementSecret>): Built => {
    if (builtFrom === values) return built;
    builtFrom = values;
    const next: Built = {};
    try {
      if (values.stripeKey && values.webhookSecret) {
        next.payments = stripePayments({
          apiKey: values.stripeKey,
          webhookSecret: values.webhookSecret,
          ...options.stripe,
        });
      }
      if (options.keyPairId && values.cookieKey) {
        next.cookies = cloudFrontCookieSigner({ keyPairId: options.keyPairId, privateKey: values.cookieKey });
      }
      if (options.auth0 && values.auth0Secret) {
        next.directory = auth0Directory({ ...options.auth0, clientSecret: values.auth0Secret });
      }
    } catch (error) {
      // A malformed value (a truncated PEM) is the operator's to fix; say which part, never the value.
      options.logger.error('a secret could not be used', { err: String(error) });
    }
    const missing = (['payments', 'cookies', 'directory'] as const).filter((part) => !next[part]);
    if (missing.length > 0) options.logger.warn('not configured yet (their secrets are empty)', { missing });
    built = next;
    return built;
  };

  /** The current adapters; reads Secrets Manager again if the cache is stale. */
  const current = async () => build(await options.secrets.get());
  const refreshed = async () => build(await options.secrets.refresh());
  const need = <P extends keyof Built>(from: Built, part: P, what: string): NonNullable<Built[P]> => {
    const found = from[part];
    if (!found) throw new AppError('unavailable', `${what} is not configured on this server`);
    return found;
  };

  const payments: Payments = {
    createCheckout: async (request) => need(await current(), 'payments', 'payments').createCheckout(request),
    cancelSubscription: async (id) => need(await current(), 'payments', 'payments').cancelSubscription(id),
    resumeSubscription: async (id) => need(await current(), 'payments', 'payments').resumeSubscription(id),
    async parseWebhook(rawBody, signature) {
      try {
        return await need(await current(), 'payments', 'payments').parseWebhook(rawBody, signature);
      } catch (error) {
        if (!(error instanceof WebhookSignatureError)) throw error;
        options.logger.warn('webhook signature failed: reading the signing secret again');
        return need(await refreshed(), 'payments', 'payments').parseWebhook(rawBody, signature);
      }
    },
  };

  /** Signing is synchronous: it uses what the last `ready()` (each request's first step) built. */
  const cookies: CookieSigner = {
    sign: (resource, dateLessThan) => need(built, 'cookies', 'playback').sign(resource, dateLessThan),
  };

  const auth0 = async () => need(await current(), 'directory', 'the Auth0 directory');
  const directory: IdentityDirectory & UserDirectory = {
    setPlan: async (userId, plan) => (await auth0()).setPlan(userId, plan),
    list: async (query) => (await auth0()).list(query),
    get: async (userId) => (await auth0()).get(userId),
    countAdmins: async () => (await auth0()).countAdmins(),
    setAdmin: async (userId, admin) => (await auth0()).setAdmin(userId, admin),
    close: async (userId) => (await auth0()).close(userId),
  };

  return {
    payments,
    cookies,
    directory,
    /** Reads the secrets if the cache is empty or stale; awaited at cold start and before each request. */
    ready: async () => {
      await current();
    },
  };
}
