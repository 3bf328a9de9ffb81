import { generateKeyPairSync } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { CachedSecrets, SecretValues } from '#platform/aws/secrets.js';
import { AppError } from '#shared/errors.js';
import { createLogger } from '#shared/log.js';
import { entitlementAdapters, type EntitlementSecret } from './entitlement-secrets.js';

/** Secrets the test fills and rotates, counting the reads an adapter asks for. */
function fakeSecrets(initial: SecretValues<EntitlementSecret>) {
  let stored = { ...initial };
  let cache: SecretValues<EntitlementSecret> | undefined;
  const reads = { get: 0, refresh: 0 };
  const secrets: CachedSecrets<EntitlementSecret> = {
    async get() {
      reads.get += 1;
      return (cache ??= { ...stored });
    },
    async refresh() {
      reads.refresh += 1;
      return (cache = { ...stored });
    },
  };
  return { secrets, reads, put: (values: SecretValues<EntitlementSecret>) => (stored = { ...stored, ...values }) };
}

const logger = createLogger({ level: 'silent' });
const stripe = new Stripe('sk_test_unused');
const webhook = (secret: string) => {
  const payload = JSON.stringify({
    id: 'evt_1',
    object: 'event',
    type: 'customer.created',
    created: 1,
    data: { object: {} },
  });
  return { payload, header: stripe.webhooks.generateTestHeaderString({ payload, secret }) };
};

describe('entitlementAdapters (secrets read at run time)', () => {
  it('answers unavailable (503) while a secret is still empty, and works once the operator fills it', async () => {
    const { secrets, put } = fakeSecrets({});
    const adapters = entitlementAdapters({
      secrets,
      stripe: { planLookupKey: 'kinema_monthly' },
      keyPairId: 'K1',
      logger,
    });
    await adapters.ready();
    const refused = adapters.cookies.sign.bind(null, 'https://kinema.app/media/videos/v1/hls/*', 2_000_000_000);
    expect(refused).toThrow(AppError);
    await expect(adapters.payments.cancelSubscription('sub_1')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(adapters.directory.setPlan('u', 'none')).rejects.toMatchObject({ code: 'unavailable' });

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    put({ cookieKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    await secrets.refresh();
    await adapters.ready();
    const cookies = adapters.cookies.sign('https://kinema.app/media/videos/v1/hls/*', 2_000_000_000);
    expect(cookies['CloudFront-Key-Pair-Id']).toBe('K1');
  });

  it('reads the signing secret again after a signature failure and accepts the rotated one', async () => {
    const { secrets, reads, put } = fakeSecrets({ stripeKey: 'sk_test_1', webhookSecret: 'whsec_old' });
    const adapters = entitlementAdapters({ secrets, stripe: { planLookupKey: 'kinema_monthly' }, logger });
    await adapters.ready();
    put({ webhookSecret: 'whsec_new' });
    const signed = webhook('whsec_new');
    // customer.created means nothing to Kinema: a verified event that yields no fact.
    await expect(adapters.payments.parseWebhook(signed.payload, signed.header)).resolves.toBeNull();
    expect(reads.refresh).toBe(1);
  });

  it('still refuses a forged signature after the fresh read', async () => {
    const { secrets, reads } = fakeSecrets({ stripeKey: 'sk_test_1', webhookSecret: 'whsec_real' });
    const adapters = entitlementAdapters({ secrets, stripe: { planLookupKey: 'kinema_monthly' }, logger });
    const forged = webhook('whsec_forged');
    await expect(adapters.payments.parseWebhook(forged.payload, forged.header)).rejects.toMatchObject({
      name: 'WebhookSignatureError',
    });
    expect(reads.refresh).toBe(1);
  });
});
