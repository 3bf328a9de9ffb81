import { createHash } from 'node:crypto';

/**
 * Sessions signed out on this server. A session cookie is sealed, self-contained state: a copy
 * taken before sign-out would otherwise keep working until its access token expires (minutes).
 * Sign-out revokes the refresh token at the issuer (so the copy cannot renew) and records the
 * access token here until it expires (so the copy is refused at once). Entries hold a SHA-256 of
 * the token, never the token, and leave when the token would have expired anyway.
 *
 * This list lives in the server's memory: exact for the standalone runtime (one process). On
 * Lambda@Edge each instance has its own, so there the refresh-token revocation bounds a copy's
 * life to the access token's lifetime (docs/security.md).
 */
const revoked = new Map<string, number>();
const MAX_ENTRIES = 100_000;

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export function revokeSession(accessToken: string, expiresAtSeconds: number, nowSeconds = Date.now() / 1000): void {
  for (const [key, expiry] of revoked) {
    if (expiry > nowSeconds && revoked.size < MAX_ENTRIES) break;
    revoked.delete(key);
  }
  revoked.set(digest(accessToken), expiresAtSeconds);
}

export function isRevoked(accessToken: string, nowSeconds = Date.now() / 1000): boolean {
  const expiry = revoked.get(digest(accessToken));
  return expiry !== undefined && expiry > nowSeconds;
}
