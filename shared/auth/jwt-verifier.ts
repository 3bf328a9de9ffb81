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
  /** How many verified tokens to remember until they expire (0 turns the memo off). */
  memoSize?: number;
}

/** Enough for every token of a busy minute; ~1 KB a token. */
const DEFAULT_MEMO_SIZE = 5_000;

/**
 * The one TokenVerifier of both runtimes (Auth0 on AWS, the built-in issuer standalone): RS256
 * only (no `none`, no HS256 with a public key), exact issuer and audience, expiry, and the role
 * claim required. Every failure is a 401 whose message says what was wrong, never why in detail.
 */
export function jwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const { issuer, audience, keys, clockTolerance = 5, now, memoSize = DEFAULT_MEMO_SIZE } = options;
  // A token that verified once is the same token until it expires: its RS256 signature covers
  // every claim, so the answer is remembered (by the whole token) rather than recomputed on each
  // request — the signature check was the largest cost of a signed-in call. Expiry is still read
  // from the Clock on every hit; failures are never remembered.
  const memo = new Map<string, { principal: Principal; expiresAt: number }>();
  const clock = now ?? Date.now;
  return {
    async verify(token) {
      const remembered = memo.get(token);
      if (remembered) {
        if (clock() < remembered.expiresAt) return copyOf(remembered.principal);
        memo.delete(token);
      }
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
      const exp = (payload as { exp: number }).exp;
      if (memoSize > 0) {
        // Oldest first out: a Map iterates in insertion order.
        if (memo.size >= memoSize) memo.delete(memo.keys().next().value as string);
        memo.set(token, { principal: copyOf(principal), expiresAt: exp * 1000 });
      }
      return principal;
    },
  };
}

/** Callers may change the Principal they get; what is remembered must not change with it. */
const copyOf = (principal: Principal): Principal => ({ ...principal, roles: [...principal.roles] });
