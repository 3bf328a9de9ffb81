import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeRsaKeysAhead, rsaPrivateKey } from './rsa-keys.js';

describe('RSA keys made ahead', () => {
  it('hands out the keys made ahead, then makes new ones, each a distinct RSA-2048 private key', async () => {
    makeRsaKeysAhead(2);
    const keys = await Promise.all([rsaPrivateKey(), rsaPrivateKey(), rsaPrivateKey()]);
    for (const key of keys) {
      expect(key.type).toBe('private');
      expect(key.asymmetricKeyType).toBe('rsa');
      expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    }
    const moduli = keys.map((key) => createPublicKey(key).export({ format: 'jwk' }).n);
    expect(new Set(moduli).size).toBe(3);
  });
});
