/**
 * A benchmark server in its own process, so the load generator does not share its event loop.
 * `subject`: the entitlement app (token verified with jose, one Table query on SQLite).
 * `baseline`: a bare Hono handler answering the same JSON.
 * Prints `{"port": N, "token": "..."}` on its first line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import { systemClock } from '#shared/ports/clock.js';
import { CLAIMS } from '#shared/ports/token-verifier.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';

const kind = process.argv[2];
const issuer = 'http://bench.local/oidc';
const audience = 'http://bench.local/api';
const { publicKey, privateKey } = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
const token = await new SignJWT({ [CLAIMS.roles]: ['viewer'], [CLAIMS.email]: 'bench@kinema.test' })
  .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
  .setIssuer(issuer)
  .setAudience(audience)
  .setSubject('user-bench')
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(privateKey);

const sameJson = {
  userId: 'user-bench',
  email: 'bench@kinema.test',
  roles: ['viewer'],
  plan: 'none',
  subscription: null,
  rentals: [],
};

let app: Hono;
if (kind === 'subject') {
  const table = sqliteTable({ file: join(mkdtempSync(join(tmpdir(), 'kinema-bench-')), 'entitlement.db') });
  const verifier = jwtVerifier({ issuer, audience, keys: createLocalJWKSet({ keys: [jwk] }) });
  app = new Hono().route('/api/entitlement', createEntitlementApp({ table, verifier, clock: systemClock }));
} else {
  app = new Hono();
  app.get('/api/entitlement/me', (c) => c.json(sameJson));
}

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(JSON.stringify({ port: info.port, token }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
