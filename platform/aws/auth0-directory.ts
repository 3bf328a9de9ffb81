import { z } from 'zod';
import { conflict } from '#shared/errors.js';
import type { IdentityDirectory } from '#shared/ports/identity-directory.js';

export interface Auth0DirectoryOptions {
  /** The tenant's domain, e.g. `kinema.jp.auth0.com`. */
  domain: string;
  /** A machine-to-machine application granted `update:users_app_metadata` on the Management API. */
  clientId: string;
  clientSecret: string;
  /**
   * The site's own client and the database connection: Auth0's change-password flow is asked in
   * their name (its email links back to the site). Needed only for `requestPasswordReset`.
   */
  webClientId?: string;
  connection?: string;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * What the site asks of Auth0 for self-service, beside the plan: the same jobs the standalone
 * issuer does itself (`#platform/local/identity/self-service.ts`), done by Auth0's own flows.
 */
export interface Auth0Directory extends IdentityDirectory {
  /** Auth0's change-password flow: Auth0 emails its own time-limited, single-use link. */
  requestPasswordReset(email: string): Promise<void>;
  /** A new address, unverified until the person follows Auth0's verification email; taken: conflict. */
  requestEmailChange(userId: string, email: string): Promise<void>;
}

const TokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

/**
 * The IdentityDirectory on Auth0's Management API: a client-credentials token (cached until a
 * minute before it expires), then `PATCH /api/v2/users/{id}` with `app_metadata.plan`, which the
 * post-login Action copies into the access token's plan claim at the next sign-in or refresh.
 */
export function auth0Directory(options: Auth0DirectoryOptions): Auth0Directory {
  const http = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const base = `https://${options.domain.replace(/^https?:\/\//, '').replace(/\/$/, '')}`;
  let token: { value: string; renewAt: number } | undefined;

  const accessToken = async () => {
    if (token && now() < token.renewAt) return token.value;
    const response = await http(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: options.clientId,
        client_secret: options.clientSecret,
        audience: `${base}/api/v2/`,
      }),
    });
    if (!response.ok) throw new Error(`Auth0 refused the Management API token (${response.status})`);
    const body = TokenResponse.parse(await response.json());
    token = { value: body.access_token, renewAt: now() + Math.max(0, body.expires_in - 60) * 1000 };
    return token.value;
  };

  return {
    async setPlan(userId, plan) {
      const response = await http(`${base}/api/v2/users/${encodeURIComponent(userId)}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await accessToken()}` },
        body: JSON.stringify({ app_metadata: { plan } }),
      });
      if (response.status === 401) token = undefined; // revoked or rotated: the next try fetches a new one
      if (!response.ok) throw new Error(`Auth0 did not update the plan of ${userId} (${response.status})`);
    },

    async requestPasswordReset(email) {
      if (!options.webClientId) throw new Error('requestPasswordReset needs the web client id');
      // The Authentication API's public endpoint: no Management token, the same answer for every address.
      const response = await http(`${base}/dbconnections/change_password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: options.webClientId,
          email,
          connection: options.connection ?? 'Username-Password-Authentication',
        }),
      });
      if (!response.ok) throw new Error(`Auth0 refused the password reset request (${response.status})`);
    },

    async requestEmailChange(userId, email) {
      const response = await http(`${base}/api/v2/users/${encodeURIComponent(userId)}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await accessToken()}` },
        body: JSON.stringify({ email, email_verified: false, verify_email: true }),
      });
      if (response.status === 401) token = undefined;
      if (response.status === 409 || (response.status === 400 && (await isTaken(response)))) {
        throw conflict('an account with this email already exists');
      }
      if (!response.ok) throw new Error(`Auth0 did not change the email of ${userId} (${response.status})`);
    },
  };
}

/** Auth0 answers a taken address with 400 and this message (its docs; no distinct error code). */
async function isTaken(response: Response): Promise<boolean> {
  const body = z.object({ message: z.string() }).safeParse(
    await response
      .clone()
      .json()
      .catch(() => null),
  );
  return body.success && /already exists/i.test(body.data.message);
}
