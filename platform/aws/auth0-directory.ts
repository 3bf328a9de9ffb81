import { z } from 'zod';
import { conflict, invalidInput, notFound } from '#shared/errors.js';
import type { IdentityDirectory } from '#shared/ports/identity-directory.js';
import type { DirectoryUser, UserDirectory } from '#shared/ports/user-directory.js';

export interface Auth0DirectoryOptions {
  /** The tenant's domain, e.g. `kinema.jp.auth0.com`. */
  domain: string;
  /**
   * A machine-to-machine application granted on the Management API: `update:users_app_metadata`
   * (the plan claim) and, for user management, `read:users`, `read:roles`, `read:role_members`,
   * `create:role_members`, `delete:role_members`, `delete:users` (infra/auth0.ts).
   */
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
export interface Auth0Directory extends IdentityDirectory, UserDirectory {
  /** Auth0's change-password flow: Auth0 emails its own time-limited, single-use link. */
  requestPasswordReset(email: string): Promise<void>;
  /** A new address, unverified until the person follows Auth0's verification email; taken: conflict. */
  requestEmailChange(userId: string, email: string): Promise<void>;
}

const TokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });
const Auth0User = z.object({
  user_id: z.string(),
  email: z.string().nullish(),
  created_at: z.string().nullish(),
});
const UsersPage = z.object({ users: z.array(Auth0User), total: z.number().int(), start: z.number().int() });
const Role = z.object({ id: z.string(), name: z.string() });
const RoleMembers = z.object({ users: z.array(z.object({ user_id: z.string() })), total: z.number().int() });

/** The admin role's members read in one page: an operator team is small. */
const MAX_ADMINS = 100;

/** Lucene's special characters, escaped for the v3 search's query string. */
const escapeLucene = (text: string) => text.replace(/[+\-=&|><!(){}[\]^"~*?:\\/\s]/g, '\\$&');

/**
 * The IdentityDirectory and UserDirectory on Auth0's Management API: a client-credentials token
 * (cached until a minute before it expires), then
 * - `PATCH /api/v2/users/{id}` with `app_metadata.plan`, which the post-login Action copies into the
 *   access token's plan claim at the next sign-in or refresh;
 * - `GET /api/v2/users` (search engine v3, `email:*part*`), `GET /api/v2/users/{id}` and its roles;
 * - the `admin` role (Auth0 RBAC, the role infra/auth0.ts creates) granted and revoked with
 *   `POST`/`DELETE /api/v2/users/{id}/roles`, its members counted with `GET /api/v2/roles/{id}/users`;
 * - `DELETE /api/v2/users/{id}` to close an account.
 */
export function auth0Directory(options: Auth0DirectoryOptions): Auth0Directory {
  const http = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const base = `https://${options.domain.replace(/^https?:\/\//, '').replace(/\/$/, '')}`;
  let token: { value: string; renewAt: number } | undefined;
  let adminRoleId: Promise<string> | undefined;

  let fetching: Promise<string> | undefined;
  const fetchToken = async () => {
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
  /** The cached token; calls in parallel share one fetch of a new one. */
  const accessToken = async () => {
    if (token && now() < token.renewAt) return token.value;
    fetching ??= fetchToken().finally(() => {
      fetching = undefined;
    });
    return fetching;
  };

  /** One Management API call; the answer's JSON (undefined for 204), or the response for 404s. */
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await http(`${base}/api/v2/${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        authorization: `Bearer ${await accessToken()}`,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status === 401) token = undefined; // revoked or rotated: the next try fetches a new one
    return response;
  };
  const read = async <S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> => {
    const response = await call('GET', path);
    if (!response.ok) throw new Error(`Auth0 answered ${response.status} to GET ${path.split('?')[0]}`);
    return schema.parse(await response.json());
  };
  const user = (id: string) => `users/${encodeURIComponent(id)}`;

  const roleId = () =>
    (adminRoleId ??= read('roles?name_filter=admin', z.array(Role)).then((roles) => {
      const role = roles.find((found) => found.name === 'admin');
      if (!role) throw new Error('the Auth0 tenant has no admin role');
      return role.id;
    })).catch((error: unknown) => {
      adminRoleId = undefined;
      throw error;
    });
  const admins = async () =>
    read(
      `roles/${encodeURIComponent(await roleId())}/users?per_page=${MAX_ADMINS}&page=0&include_totals=true`,
      RoleMembers,
    );

  const toUser = (found: z.infer<typeof Auth0User>, admin: boolean): DirectoryUser => ({
    userId: found.user_id,
    email: found.email ?? null,
    // Everyone who can sign in is a viewer (the post-login Action adds it to every token).
    roles: admin ? ['admin', 'viewer'] : ['viewer'],
    createdAt: found.created_at ?? null,
  });

  return {
    async setPlan(userId, plan) {
      const response = await call('PATCH', user(userId), { app_metadata: { plan } });
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

    async list({ email, limit, cursor }) {
      if (cursor !== undefined && !/^\d{1,4}$/.test(cursor)) throw invalidInput('invalid cursor');
      const page = cursor ? Number(cursor) : 0;
      const query = new URLSearchParams({
        search_engine: 'v3',
        per_page: String(limit),
        page: String(page),
        include_totals: 'true',
        sort: 'created_at:1',
        fields: 'user_id,email,created_at',
      });
      if (email) query.set('q', `email:*${escapeLucene(email.toLowerCase())}*`);
      const [found, members] = await Promise.all([read(`users?${query}`, UsersPage), admins()]);
      const adminIds = new Set(members.users.map((member) => member.user_id));
      const seen = found.start + found.users.length;
      return {
        users: found.users.map((entry) => toUser(entry, adminIds.has(entry.user_id))),
        nextCursor: found.users.length > 0 && seen < found.total ? String(page + 1) : null,
      };
    },

    async get(userId) {
      const response = await call('GET', `${user(userId)}?fields=user_id,email,created_at`);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`Auth0 answered ${response.status} to GET users/{id}`);
      const found = Auth0User.parse(await response.json());
      const roles = await read(`${user(userId)}/roles`, z.array(Role));
      return toUser(
        found,
        roles.some((role) => role.name === 'admin'),
      );
    },

    async countAdmins() {
      return (await admins()).total;
    },

    async setAdmin(userId, admin) {
      const response = await call(admin ? 'POST' : 'DELETE', `${user(userId)}/roles`, { roles: [await roleId()] });
      if (response.status === 404) throw notFound('account');
      if (!response.ok) throw new Error(`Auth0 did not change the roles of ${userId} (${response.status})`);
      const after = await this.get(userId);
      if (!after) throw notFound('account');
      return after;
    },

    async close(userId) {
      const response = await call('DELETE', user(userId));
      if (response.status === 404) return false;
      if (!response.ok) throw new Error(`Auth0 did not delete ${userId} (${response.status})`);
      return true;
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
