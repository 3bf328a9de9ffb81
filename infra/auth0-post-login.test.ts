import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CLAIMS, ROLES } from '#shared/ports/token-verifier.js';

type Claims = Record<string, unknown>;
type PostLogin = (event: unknown, api: unknown) => Promise<void>;

/** Loads the Action exactly as Auth0 does: the file's text, run as CommonJS. */
function loadAction(): PostLogin {
  const source = readFileSync(new URL('./auth0-post-login.js', import.meta.url), 'utf8');
  const exports: { onExecutePostLogin?: PostLogin } = {};
  runInNewContext(source, { exports });
  if (!exports.onExecutePostLogin) throw new Error('the Action exports no onExecutePostLogin');
  return exports.onExecutePostLogin;
}

async function login(user: Claims, roles?: string[]) {
  const accessToken: Claims = {};
  const idToken: Claims = {};
  const api = {
    accessToken: { setCustomClaim: (name: string, value: unknown) => (accessToken[name] = value) },
    idToken: { setCustomClaim: (name: string, value: unknown) => (idToken[name] = value) },
  };
  await loadAction()({ user, authorization: roles === undefined ? undefined : { roles } }, api);
  return { accessToken, idToken };
}

describe('Auth0 post-login Action', () => {
  it('puts roles, plan and email in the access token under the claims services read', async () => {
    const { accessToken } = await login(
      { user_id: 'auth0|1', email: 'ann@example.com', app_metadata: { plan: 'unlimited' } },
      ['admin'],
    );
    expect(accessToken).toEqual({
      [CLAIMS.roles]: ['admin', 'viewer'],
      [CLAIMS.plan]: 'unlimited',
      [CLAIMS.email]: 'ann@example.com',
    });
  });

  it('gives a signed-in user without roles the viewer role and no plan claim', async () => {
    const { accessToken } = await login({ user_id: 'auth0|2', email: 'bo@example.com', app_metadata: {} });
    expect(accessToken[CLAIMS.roles]).toEqual(['viewer']);
    expect(accessToken).not.toHaveProperty(CLAIMS.plan);
  });

  it('drops roles Kinema does not know', async () => {
    const { accessToken, idToken } = await login({ user_id: 'auth0|3' }, ['viewer', 'superuser']);
    expect(accessToken[CLAIMS.roles]).toEqual(['viewer']);
    expect(idToken[CLAIMS.roles]).toEqual(['viewer']);
    expect(accessToken).not.toHaveProperty(CLAIMS.email);
  });

  it('knows exactly the roles of the kernel', () => {
    const source = readFileSync(new URL('./auth0-post-login.js', import.meta.url), 'utf8');
    const known = /const KNOWN_ROLES = (\[.*\]);/.exec(source)?.[1] ?? '[]';
    expect(JSON.parse(known.replaceAll("'", '"'))).toEqual([...ROLES]);
  });
});
