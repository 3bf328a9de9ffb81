import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { CLAIMS } from '../ports/token-verifier.js';
import { jwtVerifier } from './jwt-verifier.js';

const ISSUER = 'http://localhost:3000/oidc';
const AUDIENCE = 'http://localhost:3000/api';
const KID = 'test-key';

let privateKey: CryptoKey;
let publicKey: CryptoKey;
let otherPrivateKey: CryptoKey;

beforeAll(async () => {
  ({ privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
  ({ privateKey: otherPrivateKey } = await generateKeyPair('RS256'));
});

const verifier = (now?: () => number) =>
  jwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: async (header) => {
      // The local JWKS of the one trusted key, as the issuer serves it.
      const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
      return createLocalJWKSet({ keys: [jwk] })(header);
    },
    ...(now ? { now } : {}),
  });

const goodClaims = (): JWTPayload => ({
  [CLAIMS.roles]: ['viewer'],
  [CLAIMS.email]: 'viewer@example.com',
  [CLAIMS.plan]: 'monthly',
  scope: 'openid email profile',
});

function sign(
  claims: JWTPayload = goodClaims(),
  options: { key?: CryptoKey; issuer?: string; audience?: string; expiresIn?: string | number; subject?: string } = {},
) {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'at+jwt' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m');
  if (options.subject !== '') jwt.setSubject(options.subject ?? 'user-1');
  return jwt.sign(options.key ?? privateKey);
}

async function refusal(token: string, now?: () => number): Promise<AppError> {
  const error = await verifier(now)
    .verify(token)
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
  return error as AppError;
}

describe('jwtVerifier', () => {
  it('turns a good token into the Principal', async () => {
    expect(await verifier().verify(await sign())).toEqual({
      userId: 'user-1',
      roles: ['viewer'],
      email: 'viewer@example.com',
      plan: 'monthly',
    });
  });

  it('leaves out the optional claims a token does not carry', async () => {
    const token = await sign({ [CLAIMS.roles]: ['admin', 'viewer'] });
    expect(await verifier().verify(token)).toEqual({ userId: 'user-1', roles: ['admin', 'viewer'] });
  });

  it('refuses an expired token', async () => {
    const token = await sign(goodClaims(), { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    expect((await refusal(token)).message).toBe('the access token has expired');
  });

  it('expires tokens by the injected clock (the dev clock)', async () => {
    const token = await sign();
    expect(await verifier(() => Date.now() + 5 * 60_000).verify(token)).toMatchObject({ userId: 'user-1' });
    expect((await refusal(token, () => Date.now() + 11 * 60_000)).message).toBe('the access token has expired');
  });

  it('remembers a verified token until it expires: no second signature check, expiry still read', async () => {
    let keyLookups = 0;
    let at = Date.now();
    const counting = jwtVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      now: () => at,
      keys: async (header) => {
        keyLookups++;
        const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
        return createLocalJWKSet({ keys: [jwk] })(header);
      },
    });
    const token = await sign();
    const first = await counting.verify(token);
    first.roles.push('admin'); // a caller changing its copy must not change what is remembered
    expect(await counting.verify(token)).toEqual({
      userId: 'user-1',
      roles: ['viewer'],
      email: 'viewer@example.com',
      plan: 'monthly',
    });
    expect(keyLookups).toBe(1);
    at += 11 * 60_000;
    await expect(counting.verify(token)).rejects.toMatchObject({ code: 'unauthorized' });
    // A refusal is never remembered: a bad token is checked each time.
    const forged = await sign(goodClaims(), { key: otherPrivateKey });
    at = Date.now();
    await expect(counting.verify(forged)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(counting.verify(forged)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses a token signed with another key', async () => {
    const token = await sign(goodClaims(), { key: otherPrivateKey });
    expect((await refusal(token)).message).toBe('the access token is not valid');
  });

  it('refuses alg none', async () => {
    const token = new UnsecuredJWT({ ...goodClaims(), sub: 'user-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .encode();
    expect(token.endsWith('.')).toBe(true);
    expect((await refusal(token)).message).toBe('the access token is not valid');
  });

  it('refuses HS256 signed with the bytes of the public key (algorithm confusion)', async () => {
    const pem = await exportSPKI(publicKey);
    const jwk = await exportJWK(publicKey);
    for (const secret of [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(jwk))]) {
      const token = await new SignJWT({ ...goodClaims() })
        .setProtectedHeader({ alg: 'HS256', kid: KID })
        .setSubject('user-1')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(secret);
      expect((await refusal(token)).message).toBe('the access token is not valid');
    }
  });

  it('refuses a token from another issuer', async () => {
    const token = await sign(goodClaims(), { issuer: 'https://evil.example.com/' });
    expect((await refusal(token)).message).toBe('the access token is not for this API (iss)');
  });

  it('refuses a token for another audience', async () => {
    const token = await sign(goodClaims(), { audience: 'http://localhost:3000/other' });
    expect((await refusal(token)).message).toBe('the access token is not for this API (aud)');
  });

  it('refuses a token without a subject', async () => {
    const token = await sign(goodClaims(), { subject: '' });
    expect((await refusal(token)).message).toMatch(/the access token is not for this API \(sub\)/);
  });

  it('refuses a token without the roles claim, or with an empty or unknown role', async () => {
    const { [CLAIMS.roles]: _roles, ...withoutRoles } = goodClaims();
    for (const claims of [withoutRoles, { ...withoutRoles, [CLAIMS.roles]: [] }, { [CLAIMS.roles]: ['root'] }]) {
      expect((await refusal(await sign(claims))).message).toBe('the access token lacks the roles claim');
    }
  });

  it('refuses garbage', async () => {
    for (const garbage of ['', 'garbage', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9.e30.AAAA']) {
      expect((await refusal(garbage)).message).toBe('the access token is not valid');
    }
  });
});
