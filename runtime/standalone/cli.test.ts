import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import { runCli } from './cli.js';
import { createIssuer } from '#platform/local/identity/issuer.js';

describe('kinema CLI', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-cli-'));
    env = { KINEMA_DATA: join(dir, 'data'), KINEMA_PUBLIC_URL: 'http://kinema.test:8080/' };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await runCli(argv, env, { out: (text) => (out += text), err: (text) => (err += text) });
    return { code, out, err };
  }

  const publicJwks = (): JSONWebKeySet => {
    const { kty, n, e, kid } = JSON.parse(readFileSync(join(dir, 'data', 'identity', 'signing-key.jwk.json'), 'utf8'));
    return { keys: [{ kty, n, e, kid, alg: 'RS256' }] };
  };

  it('adds and lists accounts, then prints a token that the shared verifier accepts', async () => {
    const added = await run(
      'users',
      'add',
      '--email',
      'Admin@Example.com',
      '--password',
      'admin password',
      '--role',
      'admin',
    );
    expect(added).toMatchObject({ code: 0, err: '' });
    expect(added.out).toMatch(/^created admin@example\.com \(admin\) with id [0-9a-z]{26}\n$/);
    expect((await run('users', 'add', '--email', 'viewer@example.com', '--password', 'viewer password')).code).toBe(0);

    const listed = await run('users', 'list');
    expect(listed.code).toBe(0);
    const lines = listed.out.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+EMAIL\s+ROLES\s+CREATED$/);
    expect(lines[1]).toMatch(/^[0-9a-z]{26}\s+admin@example\.com\s+admin\s+\d{4}-\d\d-\d\dT/);
    expect(lines[2]).toMatch(/viewer@example\.com\s+viewer/);

    const issued = await run('token', '--email', 'ADMIN@example.com', '--ttl', '120');
    expect(issued.code).toBe(0);
    const token = issued.out.trim();
    const claims = decodeJwt(token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    const principal = await jwtVerifier({
      issuer: 'http://kinema.test:8080/oidc',
      audience: 'http://kinema.test:8080/api',
      keys: createLocalJWKSet(publicJwks()),
    }).verify(token);
    expect(principal).toMatchObject({ roles: ['admin'], email: 'admin@example.com', plan: 'none' });
    expect(statSync(join(dir, 'data', 'identity', 'signing-key.jwk.json')).mode & 0o777).toBe(0o600);
  });

  it('defaults the public URL to localhost and PORT, and shares keys and accounts with the issuer', async () => {
    env = { KINEMA_DATA: join(dir, 'data'), PORT: '4123' };
    await run('users', 'add', '--email', 'shared@example.com', '--password', 'shared password');
    const token = (await run('token', '--email', 'shared@example.com')).out.trim();
    expect(decodeJwt(token)).toMatchObject({ iss: 'http://localhost:4123/oidc', aud: 'http://localhost:4123/api' });
    expect((decodeJwt(token).exp ?? 0) - (decodeJwt(token).iat ?? 0)).toBe(3600);

    // The server, started after the CLI made the keys, serves the same keys and sees the account.
    const issuer = await createIssuer({
      dataDir: join(dir, 'data'),
      issuer: 'http://localhost:4123/oidc',
      audience: 'http://localhost:4123/api',
      clients: [],
      now: Date.now,
      mailer: { send: () => Promise.reject(new Error('this test sends no email')) },
    });
    try {
      expect(issuer.accounts.findByEmail('shared@example.com')).toBeTruthy();
      const verifier = jwtVerifier({
        issuer: 'http://localhost:4123/oidc',
        audience: 'http://localhost:4123/api',
        keys: createLocalJWKSet(issuer.jwks()),
      });
      expect((await verifier.verify(token)).email).toBe('shared@example.com');
      // And the CLI still works while the server holds the database open.
      expect((await run('users', 'add', '--email', 'second@example.com', '--password', 'second password')).code).toBe(
        0,
      );
      expect(issuer.accounts.findByEmail('second@example.com')).toBeTruthy();
    } finally {
      await issuer.close();
    }
  });

  it('stamps tokens with the dev clock when the server keeps one, so they are not born expired', async () => {
    await run('users', 'add', '--email', 'clock@example.com', '--password', 'clock password');
    const twoDays = 48 * 3600 * 1000;
    writeFileSync(join(dir, 'data', 'dev-clock.json'), JSON.stringify({ offsetMs: twoDays }));
    const { iat = 0 } = decodeJwt((await run('token', '--email', 'clock@example.com')).out.trim());
    expect(iat * 1000).toBeGreaterThan(Date.now() + twoDays - 60_000);
    expect(iat * 1000).toBeLessThan(Date.now() + twoDays + 60_000);
  });

  it('prints help', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('kinema users add --email E --password P');
    expect((await run()).code).toBe(2);
  });

  it.each([
    [['users', 'add', '--email', 'x@example.com'], 2, '--password is required'],
    [['users', 'add', '--email', 'not-an-email', '--password', 'long enough'], 2, 'enter a valid email address'],
    [['users', 'add', '--email', 'x@example.com', '--password', 'short'], 2, 'at least 8 characters'],
    [
      ['users', 'add', '--email', 'x@example.com', '--password', 'long enough', '--role', 'root'],
      2,
      '--role must be one of',
    ],
    [
      ['users', 'add', '--email', 'x@example.com', '--password', 'long enough', '--bogus', '1'],
      2,
      "Unknown option '--bogus'",
    ],
    [['users', 'list', 'extra'], 2, 'Unexpected argument'],
    [['users', 'remove'], 2, 'unknown command "users remove"'],
    [['token'], 2, '--email is required'],
    [['token', '--email', 'x@example.com', '--ttl', 'soon'], 2, '--ttl must be a number'],
    [['token', '--email', 'x@example.com', '--ttl', '0'], 2, 'at least 1 second'],
    [['token', '--email', 'x@example.com', '--ttl', '100000'], 2, 'at most 86400'],
    [['token', '--email', 'nobody@example.com'], 1, 'no account has the email nobody@example.com'],
  ])('refuses %j with exit %i', async (argv, code, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(code);
    expect(result.out).toBe('');
    expect(result.err).toContain(message);
  });

  it('refuses a duplicate email and a bad environment', async () => {
    await run('users', 'add', '--email', 'dup@example.com', '--password', 'long enough');
    const again = await run('users', 'add', '--email', 'DUP@example.com', '--password', 'long enough');
    expect(again).toMatchObject({ code: 1, out: '' });
    expect(again.err).toContain('already exists');
    env = { KINEMA_DATA: join(dir, 'data'), KINEMA_PUBLIC_URL: 'not a url' };
    const bad = await run('users', 'list');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('KINEMA_PUBLIC_URL');
  });
});
