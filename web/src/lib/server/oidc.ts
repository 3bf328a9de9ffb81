import type { Cookies } from '@sveltejs/kit';
import { safeRedirectPath } from '#shared/http/redirect.js';
import * as client from 'openid-client';
import { z } from 'zod';
import type { Locale } from '$lib/paraglide/runtime.js';
import { PurchaseIntent } from './intent';
import { oidcClientSecret, signInSecrets, webConfig } from './config';
import { seal, unseal } from './sealed';
import { accessTokenExpiry, userFromTokens } from './session';
import type { Session } from './session';

const FLOW_COOKIE = 'kinema_auth';
/** A person has this long to finish signing in before the flow must start again. */
const FLOW_TTL_SECONDS = 15 * 60;
const SCOPE = 'openid email profile offline_access';

let discovered: Promise<client.Configuration> | undefined;

/** The issuer's metadata, discovered once per process (and again after a failure). */
function issuer(): Promise<client.Configuration> {
  discovered ??= discover().catch((error: unknown) => {
    discovered = undefined;
    throw error;
  });
  return discovered;
}

/** Thrown where the token endpoint is needed but no client secret is configured yet. */
export class SignInUnconfiguredError extends Error {
  override name = 'SignInUnconfiguredError';
}

async function discover(): Promise<client.Configuration> {
  const config = webConfig();
  const secret = oidcClientSecret();
  if (!secret) throw new SignInUnconfiguredError('no OIDC client secret is configured yet');
  const auth =
    config.KINEMA_OIDC_CLIENT_AUTH === 'client_secret_post'
      ? client.ClientSecretPost(secret)
      : client.ClientSecretBasic(secret);
  // Plain http is allowed only for an http:// issuer, i.e. the standalone one on a developer's machine.
  const insecure = config.KINEMA_OIDC_ISSUER.startsWith('http:');
  return client.discovery(new URL(config.KINEMA_OIDC_ISSUER), config.KINEMA_OIDC_CLIENT_ID, undefined, auth, {
    timeout: 10,
    ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
  });
}

/** The API the access token is for: `resource` (RFC 8707) for the built-in issuer, `audience` for Auth0. */
function audienceParameters(): Record<string, string> {
  const audience = webConfig().KINEMA_OIDC_AUDIENCE;
  return { resource: audience, audience };
}

const Flow = z.object({
  state: z.string().min(1),
  nonce: z.string().min(1),
  codeVerifier: z.string().min(43),
  returnTo: z.string(),
  /** A purchase to resume after sign-in (`intent.ts`). */
  intent: PurchaseIntent.optional(),
});

/** A `returnTo` from outside, reduced to a path of this site (`#shared/http/redirect.ts`). */
export function safeReturnTo(value: unknown): string {
  return safeRedirectPath(value, webConfig().KINEMA_PUBLIC_URL);
}

/**
 * Starts authorisation code + PKCE: remembers state, nonce and verifier in a short-lived sealed
 * cookie and returns the issuer URL to send the browser to.
 */
export async function beginSignIn(
  cookies: Cookies,
  options: { mode: 'signin' | 'signup'; lang: Locale; returnTo: string; intent?: PurchaseIntent },
): Promise<URL> {
  const config = webConfig();
  const secrets = signInSecrets();
  const oidc = await issuer();
  const codeVerifier = client.randomPKCECodeVerifier();
  const flow = {
    state: client.randomState(),
    nonce: client.randomNonce(),
    codeVerifier,
    returnTo: safeReturnTo(options.returnTo),
    ...(options.intent ? { intent: PurchaseIntent.parse(options.intent) } : {}),
  };
  cookies.set(FLOW_COOKIE, await seal(flow, secrets.sessionKey, FLOW_TTL_SECONDS), {
    path: '/auth',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    maxAge: FLOW_TTL_SECONDS,
  });
  return client.buildAuthorizationUrl(oidc, {
    redirect_uri: `${config.KINEMA_PUBLIC_URL}/auth/callback`,
    response_type: 'code',
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: flow.state,
    nonce: flow.nonce,
    ui_locales: options.lang,
    ...audienceParameters(),
    ...(options.mode === 'signup' ? { screen_hint: 'signup' } : {}),
  });
}

export class SignInError extends Error {
  override name = 'SignInError';
  /** Where the person was going, when the flow cookie still said so. */
  returnTo: string | undefined;
  constructor(message: string, returnTo?: string) {
    super(message);
    this.returnTo = returnTo;
  }
}

/** Set when a broken sign-in restarts itself; a second break within its life shows a page instead. */
const RETRY_COOKIE = 'kinema_auth_retry';
const RETRY_TTL_SECONDS = 5 * 60;

/**
 * Whether a broken sign-in (expired, interrupted, started on another host or browser) may start
 * again by itself: yes once, then no until the retry window passes or a sign-in succeeds.
 */
export function mayRestartSignIn(cookies: Cookies): boolean {
  if (cookies.get(RETRY_COOKIE)) return false;
  cookies.set(RETRY_COOKIE, '1', {
    path: '/auth',
    httpOnly: true,
    sameSite: 'lax',
    secure: webConfig().secureCookies,
    maxAge: RETRY_TTL_SECONDS,
  });
  return true;
}

/** A sign-in finished: the next broken one may restart itself again. */
export function signInSucceeded(cookies: Cookies): void {
  if (cookies.get(RETRY_COOKIE))
    cookies.delete(RETRY_COOKIE, { path: '/auth', httpOnly: true, sameSite: 'lax', secure: webConfig().secureCookies });
}

/**
 * Finishes the flow on the callback: checks state, PKCE and nonce, trades the code for tokens and
 * returns the new session and where to go next. The flow cookie is spent either way.
 */
export async function finishSignIn(
  cookies: Cookies,
  search: string,
): Promise<{ session: Session; returnTo: string; intent?: PurchaseIntent }> {
  const config = webConfig();
  const flow = await unseal(Flow, cookies.get(FLOW_COOKIE), signInSecrets().sessionKey);
  cookies.delete(FLOW_COOKIE, { path: '/auth', httpOnly: true, sameSite: 'lax', secure: config.secureCookies });
  if (!flow) throw new SignInError('the sign-in took too long or was started in another browser');
  const oidc = await issuer();
  // Built on the public origin, not on the Host header: it is the redirect_uri the issuer checks.
  const currentUrl = new URL(`/auth/callback${search}`, config.KINEMA_PUBLIC_URL);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(
      oidc,
      currentUrl,
      {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      },
      audienceParameters(),
    );
  } catch (error) {
    throw new SignInError(error instanceof Error ? error.message : 'the issuer refused the sign-in', flow.returnTo);
  }
  return { session: sessionFrom(tokens), returnTo: flow.returnTo, ...(flow.intent ? { intent: flow.intent } : {}) };
}

/**
 * Refreshes in flight or just done, by the refresh token they spent. The issuer rotates refresh
 * tokens and treats a second use of a spent one as theft (revoking the grant), so requests that
 * arrive together with the same old cookie (a page and its data, a preload) share one refresh.
 */
const refreshes = new Map<string, Promise<Session>>();
const REFRESH_REUSE_MS = 30_000;

/** Renews the access token with the refresh token; throws when the issuer refuses. */
export function refreshSession(session: Session): Promise<Session> {
  const spent = session.refreshToken;
  if (!spent) return Promise.reject(new SignInError('no refresh token'));
  let pending = refreshes.get(spent);
  if (!pending) {
    pending = refreshOnce(session, spent);
    refreshes.set(spent, pending);
    const forget = () => setTimeout(() => refreshes.delete(spent), REFRESH_REUSE_MS).unref();
    pending.then(forget, forget);
  }
  return pending;
}

async function refreshOnce(session: Session, refreshToken: string): Promise<Session> {
  const oidc = await issuer();
  const tokens = await client.refreshTokenGrant(oidc, refreshToken, audienceParameters());
  const renewed = sessionFrom(tokens);
  // Issuers may keep the refresh token and omit the id token on refresh: keep ours then.
  const idToken = renewed.idToken ?? session.idToken;
  return { ...renewed, refreshToken: renewed.refreshToken ?? refreshToken, ...(idToken ? { idToken } : {}) };
}

function sessionFrom(tokens: client.TokenEndpointResponse): Session {
  const now = Math.floor(Date.now() / 1000);
  const accessToken = tokens.access_token;
  return {
    accessToken,
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
    expiresAt: accessTokenExpiry(accessToken, tokens.expires_in, now),
    user: userFromTokens(accessToken, tokens.id_token),
  };
}

/**
 * RP-initiated logout: the issuer's end_session_endpoint with the id token as hint, back to the
 * home page. When the issuer has no such endpoint (or cannot be reached) the local sign-out is all.
 */
/** Revokes a refresh token at the issuer; a failure is logged, never shown (the cookie is gone anyway). */
export async function revokeRefreshToken(refreshToken: string): Promise<void> {
  try {
    const oidc = await issuer();
    if (!oidc.serverMetadata().revocation_endpoint) return;
    await client.tokenRevocation(oidc, refreshToken, { token_type_hint: 'refresh_token' });
  } catch (error) {
    console.error(JSON.stringify({ level: 'warn', msg: 'refresh token not revoked', err: String(error) }));
  }
}

export async function signOutUrl(idToken: string | undefined): Promise<string> {
  const config = webConfig();
  const home = `${config.KINEMA_PUBLIC_URL}/`;
  try {
    const oidc = await issuer();
    if (!oidc.serverMetadata().end_session_endpoint) return home;
    return client
      .buildEndSessionUrl(oidc, {
        post_logout_redirect_uri: home,
        ...(idToken ? { id_token_hint: idToken } : {}),
      })
      .toString();
  } catch {
    return home;
  }
}
