import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import { start } from './issuer-test-support.js';
import type { Running } from './issuer-test-support.js';
import { openIdProvider } from './provider.js';

// The real provider, counted: the issuer must build it once, and only when a request needs it.
vi.mock('./provider.js', async (original) => {
  const real = await original<typeof import('./provider.js')>();
  return { openIdProvider: vi.fn(real.openIdProvider) };
});

describe('built-in OpenID issuer, built on demand', () => {
  let dataDir: string;
  let running: Running | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kinema-issuer-lazy-'));
    vi.mocked(openIdProvider).mockClear();
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs, verifies and ends sessions without the provider, then builds it once for concurrent first requests', async () => {
    running = await start(dataDir);
    const account = await running.issuer.accounts.create({ email: 'lazy@example.com', password: 'password1' });
    const verifier = jwtVerifier({
      issuer: running.issuerUrl,
      audience: running.audience,
      keys: createLocalJWKSet(running.issuer.jwks()),
    });
    expect((await verifier.verify(await running.issuer.signAccessToken(account.id))).userId).toBe(account.id);
    running.issuer.endSessions(account.id);
    expect(openIdProvider).not.toHaveBeenCalled();

    const paths = [
      '/oidc/.well-known/openid-configuration',
      '/oidc/.well-known/openid-configuration',
      '/oidc/jwks',
      '/oidc/interaction/unknown-uid',
      '/oidc/.well-known/openid-configuration',
    ];
    const answers = await Promise.all(
      paths.map(async (path) => {
        const res = await fetch(`${running!.base}${path}`);
        return { path, status: res.status, body: await res.text() };
      }),
    );
    expect(openIdProvider).toHaveBeenCalledTimes(1);
    const discovery = answers.filter(({ path }) => path.endsWith('openid-configuration'));
    for (const answer of discovery) {
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(discovery[0]!.body);
    }
    expect(JSON.parse(discovery[0]!.body)).toMatchObject({ issuer: running.issuerUrl });
    const jwks = answers.find(({ path }) => path === '/oidc/jwks')!;
    expect(jwks.status).toBe(200);
    expect(JSON.parse(jwks.body)).toEqual(running.issuer.jwks());
    // An interaction that does not exist is the provider's error page, not a crash.
    const interaction = answers.find(({ path }) => path.includes('/interaction/'))!;
    expect(interaction.status).toBeGreaterThanOrEqual(400);
    expect(interaction.status).toBeLessThan(500);

    // Later requests reuse the same provider.
    expect((await fetch(`${running.base}/oidc/.well-known/openid-configuration`)).status).toBe(200);
    expect(openIdProvider).toHaveBeenCalledTimes(1);
  });
});
