import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { mkdirDurableSync, replaceFileSync } from './durable-fs.js';

const secret = () => randomBytes(32).toString('base64url');

const Secrets = z.object({
  webClientSecret: z.string().min(32).default(secret),
  sessionSecret: z.string().min(43).default(secret),
  /** HMAC key of the local object store's presigned URLs. */
  urlSigningSecret: z.string().min(43).default(secret),
  /** Signs the sandbox checkout's Stripe-shaped webhooks; the same Stripe parser checks them. */
  sandboxWebhookSecret: z
    .string()
    .min(40)
    .default(() => `whsec_${secret()}`),
});
export type LocalSecrets = z.infer<typeof Secrets>;

/**
 * Secrets the standalone runtime makes for itself on first start and keeps in the data folder
 * (mode 0600), so sessions and signed URLs survive restarts. On AWS they live in Secrets Manager.
 * A secret added by a later version is generated once and saved beside the existing ones.
 */
export function loadOrCreateSecrets(file: string): LocalSecrets {
  const saved: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets = Secrets.parse(saved);
  if (JSON.stringify(saved) !== JSON.stringify(secrets)) {
    mkdirDurableSync(dirname(file));
    replaceFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
