import { errors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { unauthorized } from '../errors.js';
import { CLAIMS, ROLES } from '../ports/token-verifier.js';
import type { Principal, TokenVerifier } from '../ports/token-verifier.js';

const AccessClaims = z.object({
  sub: z.string().min(1),
  [CLAIMS.roles]: z.array(z.enum(ROLES)).min(1, 'the token carries no role'),
  [CLAIMS.plan]: z.string().optional(),
  [CLAIMS.email]: z.string().optional(),
});

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  /** The issuer's keys: `createRemoteJWKSet(jwksUri)` or `createLocalJWKSet(jwks)`. */
  keys: JWTVerifyGetKey;
  /** Seconds of clock skew tolerated. */
  clockTolerance?: number;
  /** The Clock port, so the dev clock also expires tokens. */
  now?: () => number;
}

/**
 * The one TokenVerifier of both runtimes (Auth0 on AWS, the built-in issuer standalone): RS256
 * only (no `none`, no HS256 with a public key), exact issuer and audience, expiry, and the role
 * claim required. Every failure is a 401 whose message says what was wrong, never why in detail.
 */
export function jwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const { issuer, audience, keys, clockTolerance = 5, now } = options;
  return {
    async verify(token) {
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer,
          audience,
          algorithms: ['RS256'],
          clockTolerance,
          requiredClaims: ['exp', 'sub'],
          ...(now ? { currentDate: new Date(now()) } : {}),
        }));
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw unauthorized('the access token has expired');
        if (error instanceof errors.JWTClaimValidationFailed)
          throw unauthorized(`the access token is not for this API (${error.claim})`);
        throw unauthorized('the access token is not valid');
      }
      const claims = AccessClaims.safeParse(payload);
      if (!claims.success) throw unauthorized('the access token lacks the roles claim');
      const principal: Principal = { userId: claims.data.sub, roles: claims.data[CLAIMS.roles] };
      const plan = claims.data[CLAIMS.plan];
      const email = claims.data[CLAIMS.email];
      if (plan !== undefined) principal.plan = plan;
      if (email !== undefined) principal.email = email;
      return principal;
    },
  };
}
