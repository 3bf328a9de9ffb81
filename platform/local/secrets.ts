import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

const Secrets = z.object({
  webClientSecret: z.string().min(32),
  sessionSecret: z.string().min(43),
  cloudFrontKeyPairId: z.string().min(1).optional(),
});
export type LocalSecrets = z.infer<typeof Secrets>;

/**
 * Secrets the standalone runtime makes for itself on first start and keeps in the data folder
 * (mode 0600), so sessions and signed URLs survive restarts. On AWS they live in Secrets Manager.
 */
export function loadOrCreateSecrets(file: string): LocalSecrets {
  if (existsSync(file)) return Secrets.parse(JSON.parse(readFileSync(file, 'utf8')));
  const secrets: LocalSecrets = {
    webClientSecret: randomBytes(32).toString('base64url'),
    sessionSecret: randomBytes(32).toString('base64url'),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  return secrets;
}
