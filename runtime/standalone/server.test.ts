import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StandaloneConfig } from '#shared/config.js';
import { silentLogger } from '#shared/log.js';
import { runCli } from './cli.js';
import { startStandalone } from './server.js';
import type { Standalone } from './server.js';

/**
 * The standalone server as a user meets it: one port, JSON errors, accounts and tokens from the
 * CLI, and data that survives a restart.
 */
describe('standalone server', () => {
  let dir: string;
  let kinema: Standalone;

  const start = () =>
    startStandalone(StandaloneConfig.parse({ PORT: '0', HOST: '127.0.0.1', KINEMA_DATA: dir }), silentLogger);

  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(
      argv,
      { KINEMA_DATA: dir, KINEMA_PUBLIC_URL: kinema.url },
      { out: (t) => (out += t), err: (t) => (err += t) },
    );
    return { code, out: out.trim(), err };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-server-'));
    kinema = await start();
  }, 120_000);

  afterAll(async () => {
    await kinema.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz once every part is up', async () => {
    const res = await fetch(`${kinema.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('sends pages on another host to the public URL (308), never the API or health checks', async () => {
    const loopback = `http://127.0.0.1:${kinema.port}`;
    for (const path of ['/', '/auth/login?returnTo=/account', '/oidc/auth?x=1', '/_sandbox/checkout/abc']) {
      const res = await fetch(`${loopback}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(308);
      expect(res.headers.get('location'), path).toBe(`${kinema.url}${path}`);
    }
    const post = await fetch(`${loopback}/lang`, { method: 'POST', redirect: 'manual' });
    expect(post.status).toBe(308);
    expect((await fetch(`${loopback}/healthz`)).status).toBe(200);
    expect((await fetch(`${loopback}/api/openapi.json`)).status).toBe(200);
    // Over plain http there is no HSTS.
    expect((await fetch(`${kinema.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
  });

  it('changes a password and an address through the identity API, refusing wrong and taken ones', async () => {
    await cli('users', 'add', '--email', 'self@example.com', '--password', 'self-password-1');
    await cli('users', 'add', '--email', 'other@example.com', '--password', 'other-password-1');
    const token = (await cli('token', '--email', 'self@example.com')).out;
    const post = (path: string, body: unknown) =>
      fetch(`${kinema.url}/api/identity/me/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const wrong = await post('password', { currentPassword: 'not it', newPassword: 'new-password-2' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      error: { code: 'invalid_input', details: [{ path: ['currentPassword'], code: 'wrong_password' }] },
    });
    expect((await post('password', { currentPassword: 'self-password-1', newPassword: 'new-password-2' })).status).toBe(
      200,
    );
    const taken = await post('email', { email: 'Other@Example.com', lang: 'en' });
    expect(taken.status).toBe(409);
    expect((await post('email', { email: 'not an address' })).status).toBe(400);
    const sent = await post('email', { email: 'moved@example.com', lang: 'en' });
    expect(sent.status).toBe(202);
    expect(await sent.json()).toEqual({ sentTo: 'moved@example.com' });
    const anonymous = await fetch(`${kinema.url}/api/identity/me/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: 'x', newPassword: 'new-password-3' }),
    });
    expect(anonymous.status).toBe(401);
  });

  it('serves the merged API description and its reference page from this origin', async () => {
    const document = await fetch(`${kinema.url}/api/openapi.json`);
    expect(document.status).toBe(200);
    const paths = Object.keys(((await document.json()) as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/api/catalog/videos', '/api/entitlement/me', '/api/media/videos/{id}']),
    );
    const page = await fetch(`${kinema.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="/api/docs/scalar.js"');
    expect((await fetch(`${kinema.url}/api/docs/scalar.js`)).status).toBe(200);
  });

  it('answers unknown API routes and bad tokens with JSON errors', async () => {
    const missing = await fetch(`${kinema.url}/api/nothing/here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const anonymous = await fetch(`${kinema.url}/api/entitlement/me`);
    expect(anonymous.status).toBe(401);
    const garbage = await fetch(`${kinema.url}/api/entitlement/me`, {
      headers: { authorization: 'Bearer not.a.token' },
    });
    expect(garbage.status).toBe(401);
    expect(await garbage.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const scheme = await fetch(`${kinema.url}/api/entitlement/me`, { headers: { authorization: 'Basic abc' } });
    expect(scheme.status).toBe(401);
  });

  it('behind TLS, sends HSTS and judges the host by X-Forwarded-Host', async () => {
    const tlsDir = mkdtempSync(join(tmpdir(), 'kinema-server-tls-'));
    const behind = await startStandalone(
      StandaloneConfig.parse({
        PORT: '0',
        HOST: '127.0.0.1',
        KINEMA_DATA: tlsDir,
        KINEMA_PUBLIC_URL: 'https://kinema.test',
      }),
      silentLogger,
    );
    try {
      const base = `http://127.0.0.1:${behind.port}`;
      const health = await fetch(`${base}/healthz`);
      expect(health.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
      // The proxy says which host the browser asked for: the public one is served, another redirected.
      const issuer = await fetch(`${base}/oidc/.well-known/openid-configuration`, {
        headers: { 'x-forwarded-host': 'kinema.test' },
      });
      expect(issuer.status).toBe(200);
      const elsewhere = await fetch(`${base}/oidc/.well-known/openid-configuration`, {
        headers: { 'x-forwarded-host': '192.168.1.9' },
        redirect: 'manual',
      });
      expect(elsewhere.status).toBe(308);
      expect(elsewhere.headers.get('location')).toBe('https://kinema.test/oidc/.well-known/openid-configuration');
    } finally {
      await behind.close();
      rmSync(tlsDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('serves the OpenID issuer on the same port', async () => {
    const res = await fetch(`${kinema.url}/oidc/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const discovery = (await res.json()) as { issuer: string; code_challenge_methods_supported: string[] };
    expect(discovery.issuer).toBe(`${kinema.url}/oidc`);
    expect(discovery.code_challenge_methods_supported).toContain('S256');
  });

  it('gives CLI-made accounts working tokens, roles included, and keeps everything across a restart', async () => {
    expect(
      (
        await cli(
          'users',
          'add',
          '--email',
          'Admin@Example.com',
          '--password',
          'a long enough password',
          '--role',
          'admin',
        )
      ).code,
    ).toBe(0);
    const token = (await cli('token', '--email', 'admin@example.com')).out;
    const auth = { authorization: `Bearer ${token}` };
    const me = await fetch(`${kinema.url}/api/entitlement/me`, { headers: auth });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: 'admin@example.com', roles: ['admin'], plan: 'none', rentals: [] });

    const created = await fetch(`${kinema.url}/api/catalog/videos`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ title: '東京物語', priceJpy: 400, cast: ['原節子'] }),
    });
    expect(created.status).toBe(201);
    const { videoId } = (await created.json()) as { videoId: string };

    const tooBig = await fetch(`${kinema.url}/api/catalog/videos`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x', priceJpy: 1, description: 'x'.repeat(100 * 1024) }),
    });
    expect(tooBig.status).toBe(413);

    const port = kinema.port;
    await kinema.close();
    kinema = await startStandalone(
      StandaloneConfig.parse({
        PORT: String(port),
        HOST: '127.0.0.1',
        KINEMA_DATA: dir,
        KINEMA_PUBLIC_URL: kinema.url,
      }),
      silentLogger,
    );
    // The same token verifies (keys persisted) and the video is still there (SQLite, synchronous=FULL).
    // fetch may hand out a pooled keep-alive socket the old server closed while stopping; such a
    // request never reached the new server, so it is sent once more.
    const url = `${kinema.url}/api/catalog/videos/${videoId}`;
    const again = await fetch(url, { headers: auth }).catch(() => fetch(url, { headers: auth }));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ title: '東京物語', cast: ['原節子'] });
    expect((await cli('users', 'list')).out).toContain('admin@example.com');
  }, 120_000);
});
