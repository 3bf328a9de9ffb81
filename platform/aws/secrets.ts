import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Some secrets' current values by role; a role is absent while its secret holds no value yet. */
export type SecretValues<K extends string> = Partial<Record<K, string>>;

export interface CachedSecrets<K extends string> {
  /** The values, read on first use and again once older than `maxAgeMs`. */
  get(): Promise<SecretValues<K>>;
  /** Reads every secret again now (after a signature failure: the operator may have rotated one). */
  refresh(): Promise<SecretValues<K>>;
}

export interface SecretsManagerSecretsOptions<K extends string> {
  client: SecretsManagerClient;
  /** Role → secret ARN or name (a role without one is never read, so always absent), e.g. `{ stripeKey: 'arn:aws:secretsmanager:…:secret:kinema/stripe-secret-key-AbCdEf' }`. */
  ids: Partial<Record<K, string>>;
  /** How long values are trusted before the next `get` reads them again; default 15 minutes. */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Secrets Manager values read at run time (cold start), cached, and read again when stale or when
 * asked to. A secret the stack created but the operator has not filled yet has no AWSCURRENT
 * version: Secrets Manager answers ResourceNotFoundException, and the role is simply absent, so
 * a first deployment on empty secrets starts and answers 503 where the value is needed. Any other
 * failure (access denied, throttling) is thrown and nothing is cached. Reads no environment.
 */
export function secretsManagerSecrets<K extends string>(options: SecretsManagerSecretsOptions<K>): CachedSecrets<K> {
  const maxAgeMs = options.maxAgeMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const roles = (Object.keys(options.ids) as K[]).filter((role) => options.ids[role] !== undefined);
  let cached: { values: SecretValues<K>; readAt: number } | undefined;
  let reading: Promise<SecretValues<K>> | undefined;

  const readOne = async (role: K): Promise<[K, string | undefined]> => {
    try {
      const answer = await options.client.send(new GetSecretValueCommand({ SecretId: options.ids[role] }));
      const value =
        answer.SecretString ?? (answer.SecretBinary ? Buffer.from(answer.SecretBinary).toString('utf8') : '');
      return [role, value.trim() === '' ? undefined : value];
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return [role, undefined];
      throw error;
    }
  };

  const read = () =>
    (reading ??= Promise.all(roles.map(readOne))
      .then((entries) => {
        const values = Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as SecretValues<K>;
        cached = { values, readAt: now() };
        return values;
      })
      .finally(() => {
        reading = undefined;
      }));

  return {
    async get() {
      if (cached && now() - cached.readAt < maxAgeMs) return cached.values;
      return read();
    },
    refresh: read,
  };
}
