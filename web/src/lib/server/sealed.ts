import { EncryptJWT, jwtDecrypt } from 'jose';
import type { z } from 'zod';

/**
 * Values the browser carries but must neither read nor forge (the session, the PKCE flow): a JWE
 * (`dir`, A256GCM) under the session key. Opening fails closed: a tampered, expired or
 * differently-shaped cookie reads as "none".
 */
export async function seal(value: Record<string, unknown>, key: Uint8Array, ttlSeconds: number): Promise<string> {
  return new EncryptJWT({ v: value })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .encrypt(key);
}

export async function unseal<S extends z.ZodType>(
  schema: S,
  sealed: string | undefined,
  key: Uint8Array,
): Promise<z.infer<S> | undefined> {
  if (!sealed) return undefined;
  try {
    const { payload } = await jwtDecrypt(sealed, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const parsed = schema.safeParse(payload['v']);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
