import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import { CLAIMS } from '#shared/ports/token-verifier.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';

/**
 * What the bench servers share: a signed-in viewer (an RS256 access token from a key made for this
 * process, and the jose verifier that accepts it, as the services verify in production) and the
 * way a server process reports itself ready.
 */

const issuer = 'http://bench.local/oidc';
const audience = 'http://bench.local/api';

/** A one-hour viewer token for `subject` and a verifier that trusts only this process's key. */
export async function benchViewer(subject: string): Promise<{ token: string; verifier: TokenVerifier }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const token = await new SignJWT({ [CLAIMS.roles]: ['viewer'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  return { token, verifier: jwtVerifier({ issuer, audience, keys: createLocalJWKSet({ keys: [jwk] }) }) };
}

/**
 * Serves `app` on a free loopback port; prints `{"port", ...ready}` as the first stdout line (what
 * bench/process.ts's startScript waits for) and closes on SIGTERM.
 */
export function serveBench(app: Hono, ready: Record<string, unknown>): void {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
    process.stdout.write(JSON.stringify({ port: info.port, ...ready }) + '\n');
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
