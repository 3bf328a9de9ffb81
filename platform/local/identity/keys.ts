import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK, JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { createFileOnceSync, mkdirDurableSync } from '#platform/local/durable-fs.js';
import { rsaPrivateKey } from '#platform/local/rsa-keys.js';

export interface IdentitySecrets {
  /** The RS256 signing key as a private JWK (with `kid`, `alg`, `use`), for oidc-provider's keystore. */
  privateJwk: JWK;
  privateKey: KeyObject;
  kid: string;
  /** The public half only: what `/oidc/jwks` serves and verifiers load. */
  jwks: JSONWebKeySet;
  /** Signs the issuer's cookies; persisted so sessions survive restarts. */
  cookieSecret: string;
}

const PrivateRsaJwk = z.looseObject({
  kty: z.literal('RSA'),
  kid: z.string().min(1),
  n: z.string(),
  e: z.string(),
  d: z.string(),
  p: z.string(),
  q: z.string(),
  dp: z.string(),
  dq: z.string(),
  qi: z.string(),
});

const CookieSecret = z.string().trim().min(32);

function readOrCreate(file: string, make: () => string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  createFileOnceSync(file, make());
  return readFileSync(file, 'utf8');
}

const KEY_FILE = 'signing-key.jwk.json';

function signingKeyText(privateKey: KeyObject): string {
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  // A random kid: it only has to tell this key from a later rotated one.
  return JSON.stringify({ ...jwk, kid: randomBytes(12).toString('base64url'), alg: 'RS256', use: 'sig' }, null, 2);
}

/**
 * Makes the signing key off the main thread when there is none yet (a first start), so the RSA
 * generation overlaps other start-up work; `loadIdentitySecrets` then only reads it.
 */
export async function prepareIdentitySecrets(dataDir: string): Promise<void> {
  if (!needsIdentityKey(dataDir)) return;
  const folder = join(dataDir, 'identity');
  const privateKey = await rsaPrivateKey();
  mkdirDurableSync(folder, 0o700);
  // Created once: a key another start wrote first wins, as in `loadIdentitySecrets`.
  createFileOnceSync(join(folder, KEY_FILE), signingKeyText(privateKey));
}

/** True when `dataDir` has no signing key yet: the start will make one. */
export function needsIdentityKey(dataDir: string): boolean {
  return !existsSync(join(dataDir, 'identity', KEY_FILE));
}

/**
 * Loads the issuer's signing key and cookie secret from `<dataDir>/identity/`, generating them on
 * the first start. Tokens signed before a restart keep verifying after it.
 */
export function loadIdentitySecrets(dataDir: string): IdentitySecrets {
  const folder = join(dataDir, 'identity');
  mkdirDurableSync(folder, 0o700);

  const keyFile = join(folder, KEY_FILE);
  const keyText = readOrCreate(keyFile, () =>
    signingKeyText(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
  );
  chmodSync(keyFile, 0o600);
  const parsed = PrivateRsaJwk.safeParse(JSON.parse(keyText));
  if (!parsed.success) throw new Error(`${keyFile} is not an RSA private JWK; move it away to generate a new key`);
  const { kid } = parsed.data;
  const privateJwk: JWK = { ...parsed.data, alg: 'RS256', use: 'sig' };
  const privateKey = createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' });
  const { n, e } = parsed.data;
  const publicJwk: JWK = { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' };

  const secretFile = join(folder, 'cookie-secret');
  const secretText = readOrCreate(secretFile, () => randomBytes(32).toString('base64url'));
  chmodSync(secretFile, 0o600);
  const cookieSecret = CookieSecret.parse(secretText);

  return { privateJwk, privateKey, kid, jwks: { keys: [publicJwk] }, cookieSecret };
}
