import { describe, expect, it } from 'vitest';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { VideoPublished } from '#shared/events/catalog.js';
import { deliver } from '#shared/events/subscribe.js';
import { testAuth } from '#test/support/auth.js';
import { createEntitlementApp } from '../src/http.js';
import type { EntitlementDeps } from '../src/http.js';
import { entitlementSubscriptions } from '../src/subscribers.js';
import { recordingSigner } from './support.js';

// The end-to-end check — these cookies pass the real CloudFront verifier and the media edge for
// this title only — lives in platform/local/media-edge.test.ts: a service may not import
// platform/aws, so here the CookieSigner port is a recording double.

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0, 500);

async function setup(overrides: Partial<EntitlementDeps> = {}) {
  const auth = await testAuth(() => NOW);
  const { signer, calls } = recordingSigner();
  const table = sqliteTable({ file: ':memory:', now: () => NOW });
  // vid123 is a published title the viewer has no right to.
  const published = VideoPublished.create(
    { videoId: 'vid123', title: 'T', description: '', cast: [], genres: [], priceJpy: 400, freePreview: false },
    NOW - 1000,
  );
  const [created] = entitlementSubscriptions({ table }).filter((found) => found.event.matches(published));
  await deliver(created!, published, table, NOW);
  const app = createEntitlementApp({
    table,
    verifier: auth.verifier,
    clock: { now: () => NOW },
    cookies: signer,
    mediaOrigin: 'http://localhost:3000',
    ...overrides,
  });
  const post = async (path: string, who?: { userId: string; roles: ('admin' | 'viewer')[] }) =>
    app.request(path, { method: 'POST', headers: who ? await auth.bearer(who.userId, who.roles) : {} });
  return { app, post, calls };
}

const admin = { userId: 'admin1', roles: ['admin' as const, 'viewer' as const] };
const viewer = { userId: 'viewer1', roles: ['viewer' as const] };
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; details?: { reason?: string } } }).error;

describe('POST /playback/:videoId', () => {
  it('answers 401 to an anonymous caller', async () => {
    const { post, calls } = await setup();
    const response = await post('/playback/vid123');
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe('unauthorized');
    // Who asks is answered first, even when what they ask about is malformed.
    expect((await post('/playback/NOT%20AN%20ID')).status).toBe(401);
    expect((await post('/playback/NOT%20AN%20ID', viewer)).status).toBe(400);
    expect(calls).toEqual([]);
  });

  it('answers 402 to a viewer without an entitlement, and sets no cookie', async () => {
    const { post, calls } = await setup();
    const response = await post('/playback/vid123', viewer);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toMatchObject({
      code: 'payment_required',
      details: { reason: 'not_entitled', rentalEndedAt: null },
    });
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(calls).toEqual([]);
  });

  it('signs the title’s HLS tree for an admin for 10 minutes and sets the three cookies on its path', async () => {
    const { post, calls } = await setup();
    const response = await post('/playback/vid123', admin);
    expect(response.status).toBe(200);
    const expiresSeconds = Math.floor(NOW / 1000) + 600;
    expect(await response.json()).toEqual({
      manifestUrl: 'http://localhost:3000/media/videos/vid123/hls/master.m3u8',
      expiresAt: new Date(expiresSeconds * 1000).toISOString(),
      reason: 'admin',
    });
    expect(calls).toEqual([
      { resource: 'http://localhost:3000/media/videos/vid123/hls/*', dateLessThan: expiresSeconds },
    ]);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.getSetCookie()).toEqual([
      'CloudFront-Policy=policy1; Max-Age=600; Path=/media/videos/vid123/hls/; HttpOnly; SameSite=Lax',
      'CloudFront-Signature=signature1; Max-Age=600; Path=/media/videos/vid123/hls/; HttpOnly; SameSite=Lax',
      'CloudFront-Key-Pair-Id=KTEST; Max-Age=600; Path=/media/videos/vid123/hls/; HttpOnly; SameSite=Lax',
    ]);
  });

  it('on an https media host: Secure, SameSite=None and the configured domain; the TTL is configurable', async () => {
    const { post, calls } = await setup({
      mediaOrigin: 'https://media.kinema.app/',
      cookieDomain: 'kinema.app',
      cookieTtlMs: 120_000,
    });
    const response = await post('/playback/vid123', admin);
    expect(response.status).toBe(200);
    expect(calls[0]?.resource).toBe('https://media.kinema.app/media/videos/vid123/hls/*');
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(3);
    for (const cookie of cookies) {
      expect(cookie).toMatch(
        /; Max-Age=120; Domain=kinema\.app; Path=\/media\/videos\/vid123\/hls\/; HttpOnly; Secure; SameSite=None$/,
      );
    }
  });

  it('refuses a malformed video id with 400 and answers 503 when playback is not configured', async () => {
    const { post } = await setup();
    expect((await post('/playback/..%2F..%2Fetc', admin)).status).toBe(400);
    expect((await post('/playback/UPPER', admin)).status).toBe(400);
    const unconfigured = await setup({ cookies: undefined, mediaOrigin: undefined });
    const response = await unconfigured.post('/playback/vid123', admin);
    expect(response.status).toBe(503);
    expect((await errorOf(response)).code).toBe('unavailable');
  });

  it('refuses a bad media origin or cookie domain when the app is built', async () => {
    await expect(setup({ mediaOrigin: 'ftp://media.kinema.app' })).rejects.toThrow(/mediaOrigin|url|URL/i);
    await expect(setup({ cookieDomain: 'kinema.app; Path=/' })).rejects.toThrow(/cookie domain/);
  });
});
