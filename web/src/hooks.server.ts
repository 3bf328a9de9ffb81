import { canonicalRedirect } from '#shared/http/canonical-host.js';
import { text } from '@sveltejs/kit';
import type { Handle, HandleServerError, RequestEvent } from '@sveltejs/kit';
import { paraglideMiddleware } from '$lib/paraglide/server.js';
import { webConfig } from '$lib/server/config';
import { refreshSession, SignInUnconfiguredError } from '$lib/server/oidc';
import { isRevoked } from '$lib/server/revoked';
import { clearSession, keepsUnreadableCookie, readSession, writeSession } from '$lib/server/session';
import type { Session } from '$lib/server/session';

/** Renew a little early, so a token never expires between this hook and the API call. */
const REFRESH_MARGIN_SECONDS = 60;

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/**
 * Every state-changing request to the web (form posts, the admin's API proxy, whatever its
 * Content-Type or lack of one) is refused when a browser says it comes from another site: its
 * `Origin` — or, when a browser left that out, its `Referer` — must be the configured public
 * origin. Browsers send Origin on every cross-site POST, so a request naming neither is not a
 * browser acting for someone else (a script with its own credentials) and goes on to the route's
 * own checks (401 without a session). SameSite=Lax already keeps the session cookie off cross-site
 * posts; this also covers the cookie-less language switch. (Kit's own check compares with the
 * request URL, which behind a proxy is not the public origin, and looks at form types only.)
 */
function isCrossSitePost(event: RequestEvent): boolean {
  const { method, headers } = event.request;
  if (SAFE_METHODS.includes(method)) return false;
  const expected = webConfig().KINEMA_PUBLIC_URL;
  const origin = headers.get('origin');
  if (origin !== null) return origin !== expected;
  const referer = headers.get('referer');
  if (referer === null) return false;
  try {
    return new URL(referer).origin !== expected;
  } catch {
    return true;
  }
}

/**
 * A page asked for on another host than the public URL's (an IP address, a LAN name) goes there
 * first (308), before any sign-in can start on the wrong host (`#shared/http/canonical-host.ts`).
 * The standalone server does the same in front of everything; this covers the web served alone.
 */
function canonical(event: RequestEvent): Response | undefined {
  if (event.isSubRequest) return undefined;
  const { headers } = event.request;
  const location = canonicalRedirect(
    {
      path: event.url.pathname + event.url.search,
      host: headers.get('host') ?? undefined,
      forwardedHost: headers.get('x-forwarded-host') ?? undefined,
    },
    webConfig().KINEMA_PUBLIC_URL,
  );
  return location ? new Response(null, { status: 308, headers: { location, 'cache-control': 'no-store' } }) : undefined;
}

/**
 * Kit writes the Content-Security-Policy (svelte.config.js `kit.csp`, a nonce per response); the
 * live like counts on AWS also talk to AppSync Events, whose hosts are known only at run time.
 */
function withRealtimeHosts(response: Response): void {
  const { KINEMA_REALTIME_HOST: socket, KINEMA_REALTIME_HTTP_HOST: http } = webConfig();
  const policy = response.headers.get('content-security-policy');
  if (!policy || !socket || !http) return;
  response.headers.set(
    'content-security-policy',
    policy.replace(/connect-src ([^;]*)/, `connect-src $1 wss://${socket} https://${http}`),
  );
}

export const handle: Handle = async ({ event, resolve }) => {
  const elsewhere = canonical(event);
  if (elsewhere) return elsewhere;
  if (isCrossSitePost(event)) return text('Cross-site requests that change state are refused', { status: 403 });

  let session: Session | null = (await readSession(event.cookies)) ?? null;
  if (session && isRevoked(session.accessToken)) session = null;
  if (!session && event.cookies.get('kinema_session') && !keepsUnreadableCookie()) clearSession(event.cookies);
  if (session && session.expiresAt - Math.floor(Date.now() / 1000) < REFRESH_MARGIN_SECONDS) {
    try {
      session = await refreshSession(session);
      await writeSession(event.cookies, session);
    } catch (error) {
      // The issuer said no (revoked, expired, account closed) or is away: sign out locally. With no
      // client secret configured yet the cookie is kept: it may renew once the secret is there.
      session = null;
      if (!(error instanceof SignInUnconfiguredError)) clearSession(event.cookies);
    }
  }
  event.locals.session = session;
  event.locals.user = session?.user ?? null;

  // Paraglide picks the language (the `lang` cookie, else ja) and keeps it for this request, so
  // every message rendered below speaks it; the event's own request is kept (no URL rewriting).
  const response = await paraglideMiddleware(event.request, ({ locale }) => {
    event.locals.lang = locale;
    return resolve(event, { transformPageChunk: ({ html }) => html.replace('%paraglide.lang%', locale) });
  });
  withRealtimeHosts(response);
  // Over TLS, browsers must never come back over plain http (two years, as hstspreload asks).
  if (webConfig().secureCookies)
    response.headers.set('strict-transport-security', 'max-age=63072000; includeSubDomains');
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'strict-origin-when-cross-origin');
  if (!response.headers.has('x-frame-options')) response.headers.set('x-frame-options', 'DENY');
  // Pages differ per person and per language: never let a shared cache keep them.
  if (session && !response.headers.has('cache-control')) response.headers.set('cache-control', 'private, no-store');
  return response;
};

export const handleError: HandleServerError = ({ error, status, message }) => {
  if (status >= 500) console.error(JSON.stringify({ level: 'error', msg: 'web error', status, err: String(error) }));
  return { message, code: status === 404 ? 'not_found' : 'internal' };
};
