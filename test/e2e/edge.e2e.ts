import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EncryptJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildEdge } from '../../scripts/build-edge.js';
import type { CloudFrontRequestEvent, CloudFrontResponse } from '#runtime/aws/web-edge.js';
import { adminToken, SAMPLE, sampleVideo } from './fixtures-video.js';

/**
 * `npm run build:edge` output, invoked as Lambda@Edge invokes it (CloudFront origin-request
 * events), against the running standalone server as the API and OIDC issuer. The bundle is built
 * here from the web build `npm run test:e2e` just made, with the site's public configuration
 * baked in and the two secrets given at run time (never baked).
 */
const kinema = inject('kinema');
let outdir: string;
let handler: (event: CloudFrontRequestEvent) => Promise<CloudFrontResponse>;
let videoId: string;
let secrets: { webClientSecret: string; sessionSecret: string };

/** A CloudFront origin-request event, shaped as Lambda@Edge delivers it (includeBody on). */
function originRequest(
  method: string,
  uri: string,
  options: { querystring?: string; headers?: Record<string, string>; body?: string } = {},
): CloudFrontRequestEvent {
  const headers: Record<string, { key: string; value: string }[]> = {
    host: [{ key: 'Host', value: 'kinema-app-site-ap-northeast-1.s3.ap-northeast-1.amazonaws.com' }],
    'user-agent': [{ key: 'User-Agent', value: 'Amazon CloudFront' }],
    'accept-language': [{ key: 'Accept-Language', value: 'ja' }],
  };
  for (const [name, value] of Object.entries(options.headers ?? {}))
    headers[name.toLowerCase()] = [{ key: name, value }];
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'origin-request',
            requestId: '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==',
          },
          request: {
            clientIp: '203.0.113.178',
            method,
            uri,
            querystring: options.querystring ?? '',
            headers,
            ...(options.body !== undefined
              ? {
                  body: {
                    action: 'read-only',
                    data: Buffer.from(options.body).toString('base64'),
                    encoding: 'base64' as const,
                    inputTruncated: false,
                  },
                }
              : {}),
          },
        },
      },
    ],
  };
}

const header = (response: CloudFrontResponse, name: string) =>
  response.headers[name]?.map((entry) => entry.value) ?? [];

beforeAll(async () => {
  if (!kinema.dataDir) throw new Error('the edge test needs the standalone server started by the suite');
  secrets = JSON.parse(readFileSync(join(kinema.dataDir, 'secrets.json'), 'utf8')) as typeof secrets;
  outdir = mkdtempSync(join(tmpdir(), 'kinema-edge-'));
  const built = await buildEdge({
    web: false,
    outdir,
    environment: {
      KINEMA_PUBLIC_URL: kinema.url,
      KINEMA_API_ORIGIN: kinema.url,
      KINEMA_OIDC_ISSUER: `${kinema.url}/oidc`,
      KINEMA_OIDC_CLIENT_ID: 'kinema-web',
      KINEMA_OIDC_AUDIENCE: `${kinema.url}/api`,
      // Set where the build runs, yet never baked: only the public names are.
      KINEMA_SESSION_SECRET: secrets.sessionSecret,
    },
  });
  const bundle = readFileSync(join(outdir, 'index.mjs'), 'utf8');
  expect(bundle).not.toContain(secrets.sessionSecret);
  expect(bundle).not.toContain(secrets.webClientSecret);
  expect(built.size).toBeGreaterThan(0);
  // The secrets reach the function at run time (on AWS from Secrets Manager; here from the environment).
  process.env.KINEMA_OIDC_CLIENT_SECRET = secrets.webClientSecret;
  process.env.KINEMA_SESSION_SECRET = secrets.sessionSecret;
  ({ handler } = (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as { handler: typeof handler });
  videoId = await sampleVideo(kinema, await adminToken(kinema));
}, 400_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
  delete process.env.KINEMA_OIDC_CLIENT_SECRET;
  delete process.env.KINEMA_SESSION_SECRET;
});

describe('the Lambda@Edge bundle (dist/edge/index.mjs)', () => {
  it('renders the home page with the catalogue from the API', async () => {
    const response = await handler(originRequest('GET', '/'));
    expect(response.status).toBe('200');
    expect(header(response, 'content-type')[0]).toMatch(/^text\/html/);
    expect(response.bodyEncoding).toBe('text');
    expect(response.body).toMatch(/^<!doctype html>/i);
    expect(response.body).toContain(SAMPLE.title);
    expect(header(response, 'x-frame-options')).toEqual(['DENY']);
    // Lambda@Edge refuses responses carrying hop-by-hop or length headers; none leak through.
    for (const name of ['transfer-encoding', 'connection', 'content-length'])
      expect(response.headers[name]).toBeUndefined();
  });

  it('renders a title page with its description and cast', async () => {
    const response = await handler(originRequest('GET', `/videos/${videoId}`));
    expect(response.status).toBe('200');
    expect(response.body).toContain(SAMPLE.title);
    expect(response.body).toContain(SAMPLE.cast[0]);
    const missing = await handler(originRequest('GET', '/videos/no-such-title'));
    expect(missing.status).toBe('404');
  });

  it('turns an anonymous Rent form post into a sign-in at the issuer, the purchase kept in the flow cookie', async () => {
    const form = new URLSearchParams({ kind: 'rental', videoId, returnTo: `/videos/${videoId}` }).toString();
    const posted = await handler(
      originRequest('POST', '/checkout', {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: kinema.url },
        body: form,
      }),
    );
    // Straight to the issuer: the callback opens checkout afterwards (the intent rides sealed).
    expect(posted.status).toBe('303');
    const authorize = new URL(header(posted, 'location')[0]!);
    expect(`${authorize.origin}${authorize.pathname}`).toMatch(new RegExp(`^${kinema.url}/oidc/`));
    expect(authorize.searchParams.get('client_id')).toBe('kinema-web');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${kinema.url}/auth/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('ui_locales')).toBe('ja');
    const cookies = header(posted, 'set-cookie');
    expect(cookies.some((cookie) => /HttpOnly/i.test(cookie) && /Path=\/auth/i.test(cookie))).toBe(true);
    // Nothing about the purchase is in the URL anyone could make.
    expect(authorize.href).not.toContain(videoId);
  });

  it('refuses a cross-site form post, and passes static files through to the assets bucket', async () => {
    const forged = await handler(
      originRequest('POST', '/checkout', {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example' },
        body: 'kind=subscription&returnTo=/',
      }),
    );
    expect(forged.status).toBe('403');
    const asset = originRequest('GET', '/favicon.svg');
    expect(await handler(asset)).toEqual(asset.Records[0]!.cf.request);
    const hashed = originRequest('GET', '/_app/version.json');
    expect(await handler(hashed)).toEqual(hashed.Records[0]!.cf.request);
  });
});

/** A session cookie as the web seals it (web/src/lib/server/sealed.ts: JWE dir/A256GCM, `{ v }`). */
async function sealedSession(accessToken: string, key: string): Promise<string> {
  const session = {
    accessToken,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    user: { sub: 'edge-anon-admin', email: 'edge-anon@example.com', roles: ['admin'] },
  };
  const value = await new EncryptJWT({ v: session })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .encrypt(Buffer.from(key, 'base64url'));
  return `kinema_session=${value}`;
}

describe('the same bundle before kinema/web is filled (neither web secret)', () => {
  let anonymous: typeof handler;
  let sessionCookie: string;

  beforeAll(async () => {
    // The configured copy has read its secrets (its cold start) before they leave the environment.
    expect((await handler(originRequest('GET', '/'))).status).toBe('200');
    sessionCookie = await sealedSession(await adminToken(kinema), secrets.sessionSecret);
    delete process.env.KINEMA_OIDC_CLIENT_SECRET;
    delete process.env.KINEMA_SESSION_SECRET;
    // Another path is another module instance: a second container, cold-started with no secret.
    const copy = join(outdir, 'unfilled');
    mkdirSync(copy);
    copyFileSync(join(outdir, 'index.mjs'), join(copy, 'index.mjs'));
    ({ handler: anonymous } = (await import(pathToFileURL(join(copy, 'index.mjs')).href)) as {
      handler: typeof handler;
    });
  }, 60_000);

  afterAll(() => {
    process.env.KINEMA_OIDC_CLIENT_SECRET = secrets.webClientSecret;
    process.env.KINEMA_SESSION_SECRET = secrets.sessionSecret;
  });

  it('renders the home page, a title page and search', async () => {
    const home = await anonymous(originRequest('GET', '/'));
    expect(home.status).toBe('200');
    expect(home.body).toMatch(/^<!doctype html>/i);
    expect(home.body).toContain(SAMPLE.title);
    expect(home.body).toContain('/auth/login');
    const title = await anonymous(originRequest('GET', `/videos/${videoId}`));
    expect(title.status).toBe('200');
    expect(title.body).toContain(SAMPLE.cast[0]);
    const search = await anonymous(originRequest('GET', '/search', { querystring: 'q=a' }));
    expect(search.status).toBe('200');
    expect(search.body).toMatch(/^<!doctype html>/i);
  });

  it('reads a session cookie as signed out, without clearing it', async () => {
    // The cookie is real: the configured copy opens it and shows the person signed in.
    const signedIn = await handler(originRequest('GET', '/', { headers: { Cookie: sessionCookie } }));
    expect(signedIn.status).toBe('200');
    expect(signedIn.body).toContain('data-testid="signout-button"');

    const response = await anonymous(originRequest('GET', '/', { headers: { Cookie: sessionCookie } }));
    expect(response.status).toBe('200');
    expect(response.body).toContain(SAMPLE.title);
    expect(response.body).not.toContain('data-testid="signout-button"');
    expect(response.body).not.toContain('edge-anon@example.com');
    expect(response.body).toContain('/auth/login');
    expect(header(response, 'set-cookie').filter((cookie) => cookie.startsWith('kinema_session='))).toEqual([]);
  });

  it('answers sign-in, sign-up and the callback with 503 "sign-in is not configured yet"', async () => {
    for (const [uri, querystring] of [
      ['/auth/login', 'returnTo=/'],
      ['/auth/signup', ''],
      ['/auth/callback', 'code=abc&state=def'],
    ] as const) {
      const page = await anonymous(
        originRequest('GET', uri, { querystring, headers: { Accept: 'text/html', Cookie: 'lang=en' } }),
      );
      expect(page.status, uri).toBe('503');
      expect(header(page, 'content-type')[0]).toMatch(/^text\/html/);
      expect(page.body).toContain('Sign-in is not configured yet');
      expect(page.body).not.toMatch(/at .+\.(js|ts|mjs):\d+/);
      expect(header(page, 'set-cookie')).toEqual([]);
    }
    const json = await anonymous(originRequest('GET', '/auth/login', { headers: { Accept: 'application/json' } }));
    expect(json.status).toBe('503');
    expect(JSON.parse(json.body!)).toMatchObject({ code: 'signin_unconfigured' });
  });

  it('treats a malformed session key as none: signed out, sign-in 503, never a 500', async () => {
    process.env.KINEMA_OIDC_CLIENT_SECRET = secrets.webClientSecret;
    process.env.KINEMA_SESSION_SECRET = 'too-short';
    try {
      const copy = join(outdir, 'bad-key');
      mkdirSync(copy);
      copyFileSync(join(outdir, 'index.mjs'), join(copy, 'index.mjs'));
      const { handler: badKey } = (await import(pathToFileURL(join(copy, 'index.mjs')).href)) as {
        handler: typeof handler;
      };
      const page = await badKey(originRequest('GET', '/', { headers: { Cookie: sessionCookie } }));
      expect(page.status).toBe('200');
      expect(page.body).not.toContain('data-testid="signout-button"');
      const login = await badKey(originRequest('GET', '/auth/login', { headers: { Cookie: 'lang=en' } }));
      expect(login.status).toBe('503');
      expect(login.body).toContain('Sign-in is not configured yet');
    } finally {
      delete process.env.KINEMA_OIDC_CLIENT_SECRET;
      delete process.env.KINEMA_SESSION_SECRET;
    }
  });

  it('still signs out locally', async () => {
    const response = await anonymous(
      originRequest('POST', '/auth/logout', { headers: { Origin: kinema.url, Cookie: sessionCookie }, body: '' }),
    );
    expect(response.status).toBe('303');
    expect(header(response, 'location')[0]).toBe(`${kinema.url}/`);
    expect(header(response, 'set-cookie').some((cookie) => /^kinema_session=;/.test(cookie))).toBe(true);
  });
});
