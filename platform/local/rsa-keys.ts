import { generateKeyPair } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);
const madeAhead: Promise<KeyObject>[] = [];

function newKey(): Promise<KeyObject> {
  return generate('rsa', { modulusLength: 2048 }).then(({ privateKey }) => privateKey);
}

/**
 * Starts making `count` RSA-2048 private keys in the thread pool now, for `rsaPrivateKey` to hand
 * out later. A first start needs two (the issuer's and CloudFront's), and each costs 0.1-0.3 s of
 * CPU: made while the server's modules load, they are ready when the adapters ask.
 */
export function makeRsaKeysAhead(count: number): void {
  for (let i = 0; i < count; i++) {
    const key = newKey();
    key.catch(() => undefined); // a failure surfaces where the key is taken
    madeAhead.push(key);
  }
}

/** A new RSA-2048 private key: one made ahead if any is left, else one made now (in the thread pool). */
export function rsaPrivateKey(): Promise<KeyObject> {
  return madeAhead.shift() ?? newKey();
}
