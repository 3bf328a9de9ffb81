import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { notFound } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Mailer } from '#shared/ports/mailer.js';
import { signAccountToken } from './access-token.js';
import { accountStore, openIdentityDatabase } from './accounts.js';
import { signInThrottle } from './throttle.js';
import type { AccountStore } from './accounts.js';
import { pickLang } from '../site-page.js';
import { accountLinkRoutes } from './account-link-routes.js';
import { accountLinks } from './account-links.js';
import { PAGE_HEADERS } from './http-io.js';
import { interactionRoutes } from './interactions.js';
import { loadIdentitySecrets } from './keys.js';
import { errorPage } from './pages.js';
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
  /** Sign-ups one client address may start per hour (default 10). */
  signUpsPerHour?: number;
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

/**
 * The standalone runtime's OpenID provider (oidc-provider 9, `provider.ts`): authorization code +
 * PKCE for the configured first-party clients, local accounts, refresh-token rotation,
 * RP-initiated logout, and RS256 JWT access tokens for the API audience carrying the same claims
 * Auth0 writes on AWS. The accounts, keys and self-service pages are ready at once; the provider
 * itself is built on the first `/oidc` request that needs it.
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
  const adapter = sqliteAdapter(db); // creates the provider's tables: sign-outs use them without it

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
  const throttle = signInThrottle({
    db,
    now,
    ...(options.signUpsPerHour ? { signUpsPerWindow: options.signUpsPerHour } : {}),
  });
  // The provider (oidc-provider, Koa: ~190 modules) is imported and built on the first request
  // that needs it, once: concurrent first requests wait for the same build. Tokens are verified
  // with the JWKS and signed with the key, neither of which needs it.
  const buildProvider = async () => {
    const { openIdProvider } = await import('./provider.js');
    const provider = openIdProvider({
      issuer,
      audience,
      clients: options.clients,
      secrets,
      adapter,
      accounts,
      planFor,
      home,
      signInUrl,
      accessTokenTtl,
      now,
      logger,
    });
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
    return { callback: provider.callback(), interactions };
  };
  let building: ReturnType<typeof buildProvider> | undefined;
  const built = () =>
    (building ??= buildProvider().catch((error: unknown) => {
      building = undefined; // a failed build is tried again by the next request
      throw error;
    }));
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
      built()
        .then(({ interactions }) => interactions(req, res, path))
        .catch(fail(res));
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
    built()
      .then(({ callback }) => callback(req, res))
      .catch(fail(res));
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
      await building?.catch(() => undefined); // a build under way uses the database
      accounts.close();
      db.close();
    },
  };
}
