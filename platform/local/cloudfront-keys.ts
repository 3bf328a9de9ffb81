import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createFileOnceSync, mkdirDurableSync } from './durable-fs.js';
import { rsaPrivateKey } from './rsa-keys.js';

/** The standalone runtime's CloudFront key pair: what a CloudFront public key + key group are on AWS. */
export interface CloudFrontKeys {
  keyPairId: string;
  /** RSA private key, PKCS#8 PEM: hand it to `cloudFrontCookieSigner`. */
  privateKey: string;
  /** SPKI PEM: the media edge's `publicKeys[keyPairId]`. */
  publicKey: string;
}

const FILE_NAME = 'cloudfront-keys.json';
const Stored = z.object({
  keyPairId: z.string().regex(/^K[A-Z0-9]{12,}$/),
  privateKey: z.string().includes('PRIVATE KEY'),
});

/**
 * Loads the key pair kept in `dir` (`cloudfront-keys.json`, mode 0600), or makes one on first start:
 * RSA 2048 (what CloudFront accepts) and an id shaped like CloudFront's (`K` + base32). Kept across
 * restarts so cookies a browser holds stay valid; the public key is derived, never stored apart.
 */
export function loadOrCreateCloudFrontKeys(dir: string): CloudFrontKeys {
  const file = join(dir, FILE_NAME);
  if (existsSync(file)) {
    // A key readable by others would let them mint cookies: tighten it rather than trust it.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const stored = Stored.parse(JSON.parse(readFileSync(file, 'utf8')));
    return withPublicKey(stored.keyPairId, stored.privateKey);
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return storeNew(dir, privateKey) ?? loadOrCreateCloudFrontKeys(dir);
}

/**
 * Makes the key pair off the main thread when `dir` has none yet (a first start), so that the
 * RSA generation overlaps other start-up work; `loadOrCreateCloudFrontKeys` then only reads it.
 */
export async function prepareCloudFrontKeys(dir: string): Promise<void> {
  if (!needsCloudFrontKeys(dir)) return;
  storeNew(dir, await rsaPrivateKey());
}

/** True when `dir` has no CloudFront key pair yet: the start will make one. */
export function needsCloudFrontKeys(dir: string): boolean {
  return !existsSync(join(dir, FILE_NAME));
}

/** Writes a new key pair, or answers undefined when another start wrote one first. */
function storeNew(dir: string, privateKey: KeyObject): CloudFrontKeys | undefined {
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keyPairId = `K${base32(randomBytes(10))}`;
  mkdirDurableSync(dir);
  // Created once, whole and flushed: two processes starting at once cannot overwrite each other's
  // key (the loser reads the winner's), and a crash cannot leave half a key behind.
  if (!createFileOnceSync(join(dir, FILE_NAME), JSON.stringify({ keyPairId, privateKey: pem }, null, 2))) {
    return undefined;
  }
  return withPublicKey(keyPairId, pem);
}

function withPublicKey(keyPairId: string, privateKey: string): CloudFrontKeys {
  const publicKey = createPublicKey(createPrivateKey(privateKey)).export({ type: 'spki', format: 'pem' }).toString();
  return { keyPairId, privateKey, publicKey };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}
