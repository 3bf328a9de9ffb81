import type { Cookies } from '@sveltejs/kit';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { CLAIMS, ROLES } from '#shared/ports/token-verifier.js';
import { sessionKey, signInSecrets, webConfig } from './config';
import { seal, unseal } from './sealed';

export const SESSION_COOKIE = 'kinema_session';
/** The cookie outlives the access token: the refresh token renews it until the issuer says no. */
const SESSION_TTL_SECONDS = 30 * 24 * 3600;
/** Browsers drop cookies over 4096 bytes; keep a margin for the name and attributes. */
const COOKIE_BUDGET = 3900;

export const SessionUser = z.object({
  sub: z.string().min(1),
  email: z.string().optional(),
  roles: z.array(z.enum(ROLES)),
});
export type SessionUser = z.infer<typeof SessionUser>;

export const Session = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().optional(),
  idToken: z.string().optional(),
  /** When the access token expires, epoch seconds. */
  expiresAt: z.number().int(),
  user: SessionUser,
});
export type Session = z.infer<typeof Session>;

const AccessClaims = z.object({
  sub: z.string().min(1),
  [CLAIMS.roles]: z.array(z.string()).optional(),
  [CLAIMS.email]: z.string().optional(),
  exp: z.number().optional(),
});
const IdClaims = z.object({ email: z.string().optional() });

/**
 * Who the tokens are about. The access token is only decoded here, not verified: it came straight
 * from the issuer's token endpoint over TLS, and every API call verifies it again. Unknown roles
 * are dropped; an account without a role is a viewer.
 */
export function userFromTokens(accessToken: string, idToken?: string): SessionUser {
  const access = AccessClaims.parse(decodeJwt(accessToken));
  const roles = (access[CLAIMS.roles] ?? []).filter((role): role is SessionUser['roles'][number] =>
    (ROLES as readonly string[]).includes(role),
  );
  let email = access[CLAIMS.email];
  if (!email && idToken) email = IdClaims.safeParse(decodeJwt(idToken)).data?.email;
  return { sub: access.sub, roles: roles.length > 0 ? roles : ['viewer'], ...(email ? { email } : {}) };
}

/** Expiry of the access token: its `exp`, else what the token endpoint said. */
export function accessTokenExpiry(accessToken: string, expiresIn: number | undefined, nowSeconds: number): number {
  const exp = AccessClaims.safeParse(decodeJwt(accessToken)).data?.exp;
  return exp ?? nowSeconds + (expiresIn ?? 300);
}

/**
 * The session the cookie holds, or undefined: no cookie, a cookie that does not open (tampered,
 * expired, another key), or no session key configured yet (everyone is signed out then; the cookie
 * is left alone, see `keepsUnreadableCookie`).
 */
export async function readSession(cookies: Cookies): Promise<Session | undefined> {
  const sealed = cookies.get(SESSION_COOKIE);
  if (!sealed) return undefined;
  const key = sessionKey();
  if (!key) return undefined;
  return unseal(Session, sealed, key);
}

/**
 * True while no session key is configured: a cookie that cannot be read then is not known to be
 * bad (the key may arrive, or come back after a failed secret read), so it is not cleared.
 */
export function keepsUnreadableCookie(): boolean {
  return sessionKey() === undefined;
}

/** Seals the session into its cookie; without a session key, the 503 "sign-in is not configured yet". */
export async function writeSession(cookies: Cookies, session: Session): Promise<void> {
  const config = webConfig();
  const key = signInSecrets().sessionKey;
  let value = await seal(session, key, SESSION_TTL_SECONDS);
  if (value.length > COOKIE_BUDGET && session.idToken) {
    // The id token only serves as a logout hint; losing it beats losing the whole session.
    const { idToken: _dropped, ...lighter } = session;
    value = await seal(lighter, key, SESSION_TTL_SECONDS);
  }
  cookies.set(SESSION_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    maxAge: SESSION_TTL_SECONDS,
  });
}

export function clearSession(cookies: Cookies): void {
  cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: webConfig().secureCookies });
}
