import { z } from 'zod';
import type { IdentityDirectory } from '#shared/ports/identity-directory.js';

export interface Auth0DirectoryOptions {
  /** The tenant's domain, e.g. `kinema.jp.auth0.com`. */
  domain: string;
  /** A machine-to-machine application granted `update:users_app_metadata` on the Management API. */
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  now?: () => number;
}

const TokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

/**
 * The IdentityDirectory on Auth0's Management API: a client-credentials token (cached until a
 * minute before it expires), then `PATCH /api/v2/users/{id}` with `app_metadata.plan`, which the
 * post-login Action copies into the access token's plan claim at the next sign-in or refresh.
 */
export function auth0Directory(options: Auth0DirectoryOptions): IdentityDirectory {
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
  };
}
