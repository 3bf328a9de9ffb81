import { describe, expect, it } from 'vitest';
import { auth0Directory } from './auth0-directory.js';

/** Records each request and answers from a script, as the Management API would. */
function recorder(answers: ((url: string) => Response)[]) {
  const calls: { url: string; method: string; headers: Record<string, string>; body: unknown }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected request ${url}`);
    return answer(url);
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

const json =
  (body: unknown, status = 200) =>
  () =>
    new Response(JSON.stringify(body), { status });

describe('auth0Directory', () => {
  it('gets a Management API token once and patches app_metadata.plan', async () => {
    const { calls, fetch } = recorder([
      json({ access_token: 'mgmt-token', expires_in: 86400, token_type: 'Bearer' }),
      () => new Response('{}', { status: 200 }),
      () => new Response('{}', { status: 200 }),
    ]);
    const directory = auth0Directory({ domain: 'kinema.jp.auth0.com', clientId: 'cid', clientSecret: 'secret', fetch });
    await directory.setPlan('auth0|abc', 'unlimited');
    await directory.setPlan('auth0|abc', 'none');
    expect(calls).toEqual([
      {
        url: 'https://kinema.jp.auth0.com/oauth/token',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: {
          grant_type: 'client_credentials',
          client_id: 'cid',
          client_secret: 'secret',
          audience: 'https://kinema.jp.auth0.com/api/v2/',
        },
      },
      {
        url: 'https://kinema.jp.auth0.com/api/v2/users/auth0%7Cabc',
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: 'Bearer mgmt-token' },
        body: { app_metadata: { plan: 'unlimited' } },
      },
      {
        url: 'https://kinema.jp.auth0.com/api/v2/users/auth0%7Cabc',
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: 'Bearer mgmt-token' },
        body: { app_metadata: { plan: 'none' } },
      },
    ]);
  });

  it('renews the token before it expires and after a 401, and throws on failures so the event is retried', async () => {
    let now = 0;
    const { calls, fetch } = recorder([
      json({ access_token: 't1', expires_in: 120 }),
      () => new Response('{}', { status: 200 }),
      json({ access_token: 't2', expires_in: 120 }),
      () => new Response('{}', { status: 401 }),
      json({ access_token: 't3', expires_in: 120 }),
      () => new Response('{}', { status: 200 }),
      () => new Response('{}', { status: 429 }),
    ]);
    const directory = auth0Directory({
      domain: 'kinema.jp.auth0.com',
      clientId: 'c',
      clientSecret: 's',
      fetch,
      now: () => now,
    });
    await directory.setPlan('u1', 'unlimited');
    now = 61_000; // past expires_in − 60 s
    await expect(directory.setPlan('u1', 'unlimited')).rejects.toThrow(/401/);
    await directory.setPlan('u1', 'unlimited');
    await expect(directory.setPlan('u1', 'none')).rejects.toThrow(/429/);
    expect(calls.map((call) => call.headers.authorization ?? call.url)).toEqual([
      'https://kinema.jp.auth0.com/oauth/token',
      'Bearer t1',
      'https://kinema.jp.auth0.com/oauth/token',
      'Bearer t2',
      'https://kinema.jp.auth0.com/oauth/token',
      'Bearer t3',
      'Bearer t3',
    ]);
  });

  it("asks Auth0's own change-password flow for a forgotten password, in the site client's name", async () => {
    const { calls, fetch } = recorder([
      () => new Response("We've just sent you an email to reset your password.", { status: 200 }),
    ]);
    const directory = auth0Directory({
      domain: 'kinema.jp.auth0.com',
      clientId: 'cid',
      clientSecret: 'secret',
      webClientId: 'web-client',
      fetch,
    });
    await directory.requestPasswordReset('viewer@example.com');
    expect(calls).toEqual([
      {
        url: 'https://kinema.jp.auth0.com/dbconnections/change_password',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: {
          client_id: 'web-client',
          email: 'viewer@example.com',
          connection: 'Username-Password-Authentication',
        },
      },
    ]);
  });

  it('changes the email unverified with a verification email, and says conflict for a taken one', async () => {
    const { calls, fetch } = recorder([
      json({ access_token: 'mgmt-token', expires_in: 86400, token_type: 'Bearer' }),
      json({ user_id: 'auth0|abc', email: 'new@example.com', email_verified: false }),
      json({ statusCode: 400, error: 'Bad Request', message: 'The specified new email already exists' }, 400),
    ]);
    const directory = auth0Directory({ domain: 'kinema.jp.auth0.com', clientId: 'cid', clientSecret: 'secret', fetch });
    await directory.requestEmailChange('auth0|abc', 'new@example.com');
    expect(calls[1]).toEqual({
      url: 'https://kinema.jp.auth0.com/api/v2/users/auth0%7Cabc',
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: 'Bearer mgmt-token' },
      body: { email: 'new@example.com', email_verified: false, verify_email: true },
    });
    await expect(directory.requestEmailChange('auth0|abc', 'taken@example.com')).rejects.toMatchObject({
      code: 'conflict',
    });
  });
});

describe('auth0Directory as the user directory (recorded Management API shapes)', () => {
  const token = json({ access_token: 'mgmt-token', expires_in: 86400, token_type: 'Bearer' });
  const adminRole = json([{ id: 'rol_A1b2', name: 'admin', description: 'Kinema admin' }]);
  const members = (ids: string[]) =>
    json({
      users: ids.map((user_id) => ({
        user_id,
        email: `${user_id}@example.jp`,
        picture: 'https://s.gravatar.com/x.png',
        name: user_id,
      })),
      start: 0,
      limit: 100,
      total: ids.length,
    });

  it('searches by email with the v3 engine and marks the admin role from its members', async () => {
    const { calls, fetch } = recorder([
      token,
      json({
        start: 0,
        limit: 2,
        length: 2,
        total: 3,
        users: [
          { user_id: 'auth0|aaa', email: 'hana@example.jp', created_at: '2030-01-01T00:00:00.000Z' },
          { user_id: 'google-oauth2|123', email: 'hanako@example.jp', created_at: '2030-01-02T00:00:00.000Z' },
        ],
      }),
      adminRole,
      members(['auth0|aaa']),
    ]);
    const directory = auth0Directory({ domain: 'kinema.jp.auth0.com', clientId: 'cid', clientSecret: 'secret', fetch });
    const page = await directory.list({ email: 'Hana+1', limit: 2 });
    expect(page).toEqual({
      users: [
        {
          userId: 'auth0|aaa',
          email: 'hana@example.jp',
          roles: ['admin', 'viewer'],
          createdAt: '2030-01-01T00:00:00.000Z',
        },
        {
          userId: 'google-oauth2|123',
          email: 'hanako@example.jp',
          roles: ['viewer'],
          createdAt: '2030-01-02T00:00:00.000Z',
        },
      ],
      nextCursor: '1',
    });
    const search = new URL(calls[1]!.url);
    expect(search.pathname).toBe('/api/v2/users');
    expect(Object.fromEntries(search.searchParams)).toEqual({
      search_engine: 'v3',
      per_page: '2',
      page: '0',
      include_totals: 'true',
      sort: 'created_at:1',
      fields: 'user_id,email,created_at',
      q: 'email:*hana\\+1*',
    });
    expect(calls[2]!.url).toBe('https://kinema.jp.auth0.com/api/v2/roles?name_filter=admin');
    expect(calls[3]!.url).toBe(
      'https://kinema.jp.auth0.com/api/v2/roles/rol_A1b2/users?per_page=100&page=0&include_totals=true',
    );
    await expect(directory.list({ limit: 2, cursor: 'x' })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('grants and revokes the admin role, counts admins, closes accounts', async () => {
    const profile = json({ user_id: 'auth0|bbb', email: 'b@example.jp', created_at: '2030-01-01T00:00:00.000Z' });
    const { calls, fetch } = recorder([
      token,
      adminRole,
      () => new Response(null, { status: 204 }), // POST users/{id}/roles
      profile,
      json([{ id: 'rol_A1b2', name: 'admin', description: 'Kinema admin' }]),
      members(['auth0|aaa', 'auth0|bbb']),
      () => new Response(null, { status: 204 }), // DELETE users/{id}/roles
      profile,
      json([]),
      () => new Response(null, { status: 204 }), // DELETE users/{id}
      json(
        { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' },
        404,
      ),
    ]);
    const directory = auth0Directory({ domain: 'kinema.jp.auth0.com', clientId: 'cid', clientSecret: 'secret', fetch });
    expect((await directory.setAdmin('auth0|bbb', true)).roles).toEqual(['admin', 'viewer']);
    expect(await directory.countAdmins()).toBe(2);
    expect((await directory.setAdmin('auth0|bbb', false)).roles).toEqual(['viewer']);
    expect(await directory.close('auth0|bbb')).toBe(true);
    expect(await directory.get('auth0|gone')).toBeUndefined();
    expect(calls.map((call) => `${call.method} ${new URL(call.url).pathname}`)).toEqual([
      'POST /oauth/token',
      'GET /api/v2/roles',
      'POST /api/v2/users/auth0%7Cbbb/roles',
      'GET /api/v2/users/auth0%7Cbbb',
      'GET /api/v2/users/auth0%7Cbbb/roles',
      'GET /api/v2/roles/rol_A1b2/users',
      'DELETE /api/v2/users/auth0%7Cbbb/roles',
      'GET /api/v2/users/auth0%7Cbbb',
      'GET /api/v2/users/auth0%7Cbbb/roles',
      'DELETE /api/v2/users/auth0%7Cbbb',
      'GET /api/v2/users/auth0%7Cgone',
    ]);
    expect(calls[2]!.body).toEqual({ roles: ['rol_A1b2'] });
    expect(calls[6]!.body).toEqual({ roles: ['rol_A1b2'] });
    expect(calls[2]!.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer mgmt-token' });
  });
});
