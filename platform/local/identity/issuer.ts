import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import Provider, { errors } from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { notFound } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Mailer } from '#shared/ports/mailer.js';
import { CLAIMS } from '#shared/ports/token-verifier.js';
import { SCOPES, kinemaClaims, signAccountToken } from './access-token.js';
import { accountStore, openIdentityDatabase } from './accounts.js';
import { signInThrottle } from './throttle.js';
import type { AccountStore } from './accounts.js';
import { pickLang } from '../site-page.js';
import { accountLinkRoutes } from './account-link-routes.js';
import { accountLinks } from './account-links.js';
import { LOGOUT_CSP, PAGE_HEADERS } from './http-io.js';
import { interactionRoutes } from './interactions.js';
import { loadIdentitySecrets } from './keys.js';
import { errorPage, loggedOutPage, logoutPage } from './pages.js';
import { selfService } from './self-service.js';
import type { SelfService } from './self-service.js';
import { pendingSignUps } from './signups.js';
import { endSessionsOf, sqliteAdapter } from './sqlite-adapter.js';

export interface IssuerClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** `client_secret_post` by default: what openid-client sends when given a secret, and Auth0's default. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

export interface IssuerOptions {
  /** Where `identity.db` and `identity/` (keys, cookie secret) live. */
  dataDir: string;
  /** The issuer URL, e.g. `http://localhost:3000/oidc`; its path is where `listener` is mounted. */
  issuer: string;
  /** The API's audience, e.g. `http://localhost:3000/api`: every access token is a JWT for it. */
  audience: string;
  clients: IssuerClient[];
  /** The Clock port: access-token times and account lockouts follow it (the dev clock included). */
  now: () => number;
  /** The account's plan for the display-only plan claim; `none` when absent. */
  planOf?: (userId: string) => Promise<string | undefined>;
  /** Sends the sign-up emails (the link for a new address, a notice for a taken one). */
  mailer: Mailer;
  /** Where the pages' "sign in" links go; default `<issuer origin>/auth/login` (the web app's). */
  signInUrl?: string;
  /** The site's home page (logo and way back on every page); default `<issuer origin>/`. */
  homeUrl?: string;
  logger?: Logger;
  accessTokenTtlSeconds?: number;
}

export interface Issuer {
  /** Serves every URL under the issuer's path; expects the full path in `req.url` (`/oidc/...`). */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  accounts: AccountStore;
  /** Change password and email for a signed-in account (the identity API uses it). */
  selfService: SelfService;
  /** Signs every device of the account out: its issuer sessions, grants and refresh tokens. */
  endSessions(accountId: string): void;
  /** An access token for the account made directly with the key (CLI, tests); same shape as the flow's. */
  signAccessToken(accountId: string, ttlSeconds?: number): Promise<string>;
  /** The public keys (also served at `<issuer>/jwks`). */
  jwks(): JSONWebKeySet;
  close(): Promise<void>;
}

/** The provider's own cookies, named so they cannot collide with the web app's on the same origin. */
const COOKIE_NAMES = { session: 'kinema_op_session', interaction: 'kinema_op_interaction', resume: 'kinema_op_resume' };

const DAY = 24 * 60 * 60;

/**
 * The standalone runtime's OpenID provider (oidc-provider 9): authorization code + PKCE for the
 * configured first-party clients, local accounts, refresh-token rotation, RP-initiated logout, and
 * RS256 JWT access tokens for the API audience carrying the same claims Auth0 writes on AWS.
 */
export async function createIssuer(options: IssuerOptions): Promise<Issuer> {
  const { dataDir, issuer, audience, now, planOf } = options;
  const logger = options.logger ?? silentLogger;
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 600;
  const issuerUrl = new URL(issuer);
  const basePath = issuerUrl.pathname.replace(/\/+$/, '');

  mkdirSync(dataDir, { recursive: true });
  const secrets = loadIdentitySecrets(dataDir);
  const dbFile = join(dataDir, 'identity.db');
  const accounts = accountStore({ file: dbFile, now });
  const db = openIdentityDatabase(dbFile);

  // The plan claim is for display only: a failing lookup must not fail a sign-in.
  const planFor = async (accountId: string) => {
    try {
      return await planOf?.(accountId);
    } catch (error) {
      logger.warn('plan lookup failed; the token says plan "none"', { accountId, err: error });
      return undefined;
    }
  };

  const home = options.homeUrl ?? `${issuerUrl.origin}/`;
  const signInUrl = options.signInUrl ?? `${issuerUrl.origin}/auth/login`;
  const frameOf = (ctx: KoaContextWithOIDC) => {
    const asked = typeof ctx.oidc?.params?.ui_locales === 'string' ? ctx.oidc.params.ui_locales : undefined;
    return { lang: pickLang(ctx.query['lang'] as string | undefined, ctx.cookies.get('lang'), asked), home };
  };
  /** The provider's own pages get the same headers as ours (the sign-out page: its script's hash). */
  const pageHeaders = (ctx: KoaContextWithOIDC, csp?: string) => {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
    if (csp) ctx.set('content-security-policy', csp);
  };

  const configuration: Configuration = {
    adapter: sqliteAdapter(db),
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    })),
    jwks: { keys: [secrets.privateJwk as never] },
    cookies: {
      keys: [secrets.cookieSecret],
      names: COOKIE_NAMES,
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    pkce: { required: () => true },
    // Discovery advertises what the registered clients may use, nothing more: the authorisation
    // code flow (no implicit or hybrid `id_token` responses, no `none`) and their own client auth.
    responseTypes: ['code'],
    clientAuthMethods: [
      ...new Set(options.clients.map((client) => client.tokenEndpointAuthMethod ?? 'client_secret_post')),
    ],
    scopes: [...SCOPES],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', CLAIMS.roles],
    },
    // The ID token carries the profile claims too: the API audience's access token cannot call userinfo.
    conformIdTokenClaims: false,
    extraParams: ['screen_hint'],
    async findAccount(_ctx, sub) {
      const account = accounts.findById(sub);
      if (!account) return undefined;
      return {
        accountId: account.id,
        async claims() {
          return {
            sub: account.id,
            email: account.email,
            email_verified: false,
            name: account.email,
            preferred_username: account.email,
            [CLAIMS.roles]: account.roles,
          };
        },
      };
    },
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const account = accounts.findById(token.accountId);
      if (!account) return undefined;
      return kinemaClaims(account, await planFor(account.id));
    },
    formats: {
      customizers: {
        // JWT access tokens are not stored, so their times can follow the Clock port; with the dev
        // clock moved ahead, fresh tokens would otherwise be born expired for the API's verifier.
        async jwt(_ctx, _token, jwt) {
          const skew = Math.floor(now() / 1000) - Math.floor(Date.now() / 1000);
          const payload = jwt.payload as { iat?: number; exp?: number };
          if (skew !== 0 && typeof payload.iat === 'number' && typeof payload.exp === 'number') {
            payload.iat += skew;
            payload.exp += skew;
          }
        },
      },
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          pageHeaders(ctx, LOGOUT_CSP);
          ctx.type = 'html';
          ctx.body = logoutPage(frameOf(ctx), form);
        },
        async postLogoutSuccessSource(ctx) {
          pageHeaders(ctx);
          ctx.type = 'html';
          ctx.body = loggedOutPage(frameOf(ctx));
        },
      },
      resourceIndicators: {
        enabled: true,
        // Clients that name no resource still get the API's JWT, as Auth0's default audience does.
        defaultResource: async () => audience,
        // At the token endpoint, keep the resource of the grant even though `openid` was asked for.
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx, indicator) {
          if (indicator !== audience) throw new errors.InvalidTarget();
          return {
            scope: SCOPES.join(' '),
            audience,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    interactions: { url: async (_ctx, interaction) => `${basePath}/interaction/${interaction.uid}` },
    // Every first-party session gets a refresh token, rotated on each use.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Grant: 30 * DAY,
      Session: 30 * DAY,
      RefreshToken: 30 * DAY,
    },
    async renderError(ctx, out) {
      pageHeaders(ctx);
      ctx.type = 'html';
      // Most of these are a stale or replayed step of a sign-in: offer a fresh one.
      ctx.body = errorPage(frameOf(ctx), out.error_description ?? out.error, `${signInUrl}?retry=1`);
    },
  };

  const provider = new Provider(issuer, configuration);
  // Behind TLS the proxy says so in X-Forwarded-Proto; on plain http there is nothing to trust.
  provider.proxy = issuerUrl.protocol === 'https:';
  provider.on('server_error', (_ctx, error) => logger.error('identity provider error', { err: error }));
  const callback = provider.callback();
  const throttle = signInThrottle({ db, now });
  const interactions = interactionRoutes({
    provider,
    accounts,
    throttle,
    signUps: pendingSignUps({ db, now }),
    mailer: options.mailer,
    issuerUrl: issuer,
    signInUrl,
    home,
    now,
    logger,
  });
  const links = accountLinks({ db, now });
  const endSessions = (accountId: string) => {
    endSessionsOf(db, accountId);
  };
  const linkPages = accountLinkRoutes({
    accounts,
    links,
    throttle,
    mailer: options.mailer,
    issuerUrl: issuer,
    signInUrl,
    home,
    endSessions,
    logger,
  });
  const fail = (res: ServerResponse) => (error: unknown) => {
    logger.error('sign-in page failed', { err: error });
    if (!res.headersSent) {
      res.writeHead(500, { ...PAGE_HEADERS });
      res.end(errorPage({ lang: pickLang(), home }, undefined));
    } else res.end();
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const withOriginal = req as IncomingMessage & { originalUrl?: string };
    const original = withOriginal.originalUrl ?? req.url ?? '/';
    const inside = original === basePath || original.startsWith(`${basePath}/`) || original.startsWith(`${basePath}?`);
    if (!inside) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'not an identity route' } }));
      return;
    }
    const path = original.slice(basePath.length) || '/';
    if (path.startsWith('/interaction/')) {
      interactions(req, res, path).catch(fail(res));
      return;
    }
    if (path.startsWith('/password/') || path.startsWith('/email/')) {
      linkPages(req, res, path)
        .then((handled) => {
          if (!handled) {
            res.writeHead(404, { ...PAGE_HEADERS });
            res.end(errorPage({ lang: pickLang(), home }, undefined));
          }
        })
        .catch(fail(res));
      return;
    }
    // oidc-provider routes on the path below its mount and builds its URLs from `originalUrl`.
    withOriginal.originalUrl = original;
    req.url = path;
    void callback(req, res);
  };

  return {
    listener,
    accounts,
    selfService: selfService({ accounts, links, mailer: options.mailer, issuerUrl: issuer, endSessions, now }),
    endSessions,
    async signAccessToken(accountId, ttlSeconds = accessTokenTtl) {
      const account = accounts.findById(accountId);
      if (!account) throw notFound('account');
      return signAccountToken({
        account,
        plan: await planFor(account.id),
        issuer,
        audience,
        key: secrets.privateKey,
        kid: secrets.kid,
        ttlSeconds,
        now,
      });
    },
    jwks: () => structuredClone(secrets.jwks),
    async close() {
      accounts.close();
      db.close();
    },
  };
}
