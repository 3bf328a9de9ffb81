import Provider, { errors } from 'oidc-provider';
import type { AdapterFactory, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '#shared/log.js';
import { CLAIMS } from '#shared/ports/token-verifier.js';
import { pickLang } from '../site-page.js';
import { SCOPES, kinemaClaims } from './access-token.js';
import type { AccountStore } from './accounts.js';
import { LOGOUT_CSP, PAGE_HEADERS } from './http-io.js';
import type { IssuerClient } from './issuer.js';
import type { IdentitySecrets } from './keys.js';
import { errorPage, loggedOutPage, logoutPage } from './pages.js';

/** The provider's own cookies, named so they cannot collide with the web app's on the same origin. */
const COOKIE_NAMES = { session: 'kinema_op_session', interaction: 'kinema_op_interaction', resume: 'kinema_op_resume' };

const DAY = 24 * 60 * 60;

export interface ProviderOptions {
  issuer: string;
  audience: string;
  clients: IssuerClient[];
  secrets: Pick<IdentitySecrets, 'privateJwk' | 'cookieSecret'>;
  /** Where the provider keeps its sessions, grants and refresh tokens (`sqliteAdapter`, identity.db). */
  adapter: AdapterFactory;
  accounts: AccountStore;
  /** The display-only plan claim; undefined (plan "none") when the lookup fails. */
  planFor: (accountId: string) => Promise<string | undefined>;
  home: string;
  signInUrl: string;
  accessTokenTtl: number;
  now: () => number;
  logger: Logger;
}

/**
 * The oidc-provider 9 instance behind the issuer: authorization code + PKCE for the configured
 * first-party clients, refresh-token rotation, RP-initiated logout, and RS256 JWT access tokens for
 * the API audience. Its own module because the issuer imports it on the first request that needs
 * it (oidc-provider and Koa are ~190 modules a start does not need).
 */
export function openIdProvider(options: ProviderOptions): Provider {
  const {
    issuer,
    audience,
    clients,
    secrets,
    adapter,
    accounts,
    planFor,
    home,
    signInUrl,
    accessTokenTtl,
    now,
    logger,
  } = options;
  const issuerUrl = new URL(issuer);
  const basePath = issuerUrl.pathname.replace(/\/+$/, '');
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
    adapter,
    clients: clients.map((client) => ({
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
    clientAuthMethods: [...new Set(clients.map((client) => client.tokenEndpointAuthMethod ?? 'client_secret_post'))],
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
  return provider;
}
