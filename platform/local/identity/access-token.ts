import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { CLAIMS } from '#shared/ports/token-verifier.js';
import type { Account } from './accounts.js';

/** What a first-party client may ask for; the API's access token carries the same list, as Auth0's does. */
export const SCOPES = ['openid', 'email', 'profile', 'offline_access'] as const;

/** The Kinema claims every access token carries, on both runtimes (Auth0 adds them in an Action). */
export function kinemaClaims(account: Account, plan: string | undefined): Record<string, unknown> {
  return {
    [CLAIMS.roles]: account.roles,
    [CLAIMS.email]: account.email,
    [CLAIMS.plan]: plan ?? 'none',
  };
}

/**
 * Signs an access token of the same shape as the issuer's (RS256, `typ: at+jwt`, same iss/aud and
 * claims) directly with the key, for `kinema token` and tests: no browser, no client.
 */
export async function signAccountToken(options: {
  account: Account;
  plan?: string;
  issuer: string;
  audience: string;
  key: KeyObject;
  kid: string;
  ttlSeconds: number;
  now: () => number;
  clientId?: string;
}): Promise<string> {
  const issuedAt = Math.floor(options.now() / 1000);
  return new SignJWT({
    ...kinemaClaims(options.account, options.plan),
    scope: SCOPES.filter((scope) => scope !== 'offline_access').join(' '),
    client_id: options.clientId ?? 'kinema-cli',
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: options.kid })
    .setSubject(options.account.id)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + options.ttlSeconds)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(options.key);
}
