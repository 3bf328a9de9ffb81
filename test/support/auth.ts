import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import { CLAIMS } from '#shared/ports/token-verifier.js';
import type { Role, TokenVerifier } from '#shared/ports/token-verifier.js';

export const TEST_ISSUER = 'http://kinema.test/oidc';
export const TEST_AUDIENCE = 'http://kinema.test/api';

/**
 * A throw-away RS256 issuer for service tests: the real jwtVerifier with a key made here, and
 * `bearer()` to sign an access token of the same shape the issuers make.
 */
export async function testAuth(now: () => number = Date.now): Promise<{
  verifier: TokenVerifier;
  bearer(userId: string, roles?: Role[], extra?: Record<string, unknown>): Promise<Record<string, string>>;
}> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test', alg: 'RS256', use: 'sig' };
  return {
    verifier: jwtVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      keys: createLocalJWKSet({ keys: [jwk] }),
      now,
    }),
    async bearer(userId, roles = ['viewer'], extra = {}) {
      const iat = Math.floor(now() / 1000);
      const token = await new SignJWT({ [CLAIMS.roles]: roles, [CLAIMS.email]: `${userId}@kinema.test`, ...extra })
        .setProtectedHeader({ alg: 'RS256', kid: 'test' })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setSubject(userId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 600)
        .sign(privateKey);
      return { authorization: `Bearer ${token}` };
    },
  };
}
