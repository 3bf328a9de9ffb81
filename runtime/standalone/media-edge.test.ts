import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import type { ObjectInfo, ObjectStore } from '#shared/ports/object-store.js';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { testAuth } from '#test/support/auth.js';
import { cloudFrontCookieSigner, verifyCloudFrontCookies } from '#protocol/cloudfront-cookies.js';
import { fileStore } from '#platform/local/file-store.js';
import { parseRange } from '#platform/local/http-range.js';
import { mediaEdge } from '#platform/local/media-edge.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';

const PUBLIC_URL = 'http://localhost:3000';
const WEB_ORIGIN = 'http://web.kinema.test';
const KEY_ID = 'KLOCALTEST';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signer = cloudFrontCookieSigner({
  keyPairId: KEY_ID,
  privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});
const publicKeys = { [KEY_ID]: publicKey.export({ type: 'spki', format: 'pem' }).toString() };

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * The real local ObjectStore (fileStore) in a temp folder, holding `files`, wrapped to record
 * each get/head so tests can prove what the edge did not do (open a body, probe the store).
 */
async function fileObjects(files: Record<string, Buffer | string>) {
  const root = await mkdtemp(join(tmpdir(), 'kinema-edge-'));
  tempDirs.push(root);
  const inner = fileStore({
    root,
    publicUrl: PUBLIC_URL,
    secret: 'a-test-secret-of-enough-length',
    now: () => Date.UTC(2030, 0, 1),
  });
  for (const [key, value] of Object.entries(files)) await inner.put(key, Buffer.from(value));
  const calls: string[] = [];
  const store: ObjectStore = {
    ...inner,
    get(key, range) {
      calls.push(`get ${key}${range ? ` ${range.start}-${range.end ?? ''}` : ''}`);
      return inner.get(key, range);
    },
    head(key) {
      calls.push(`head ${key}`);
      return inner.head(key);
    },
  };
  return { store, calls };
}

/** The edge over `store`, mounted at /media, with the clock stopped at 2030-01-01. */
const edgeAt2030 = (store: ObjectStore) =>
  new Hono().route(
    '/media',
    mediaEdge({
      objects: store,
      publicKeys,
      publicUrl: PUBLIC_URL,
      allowedOrigin: WEB_ORIGIN,
      now: () => Date.UTC(2030, 0, 1),
    }),
  );

const MASTER = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n';
const SEGMENT = randomBytes(100_000);

async function setup(options: { keyPrefix?: string } = {}) {
  const prefix = options.keyPrefix ?? 'media/';
  const { store, calls } = await fileObjects({
    [`${prefix}videos/aaa111/hls/master.m3u8`]: MASTER,
    [`${prefix}videos/aaa111/hls/720p/init.mp4`]: 'init-bytes',
    [`${prefix}videos/aaa111/hls/720p/segment_00001.m4s`]: SEGMENT,
    [`${prefix}videos/aaa111/hls/thumbs.vtt`]: 'WEBVTT\n',
    [`${prefix}videos/aaa111/poster.jpg`]: 'jpeg-bytes',
    [`${prefix}videos/bbb222/hls/master.m3u8`]: MASTER,
    [`${prefix}secret.txt`]: 'nobody may read this',
  });
  let now = Date.UTC(2030, 0, 1, 12);
  const app = new Hono().route(
    '/media',
    mediaEdge({
      objects: store,
      publicKeys,
      publicUrl: `${PUBLIC_URL}/`,
      allowedOrigin: WEB_ORIGIN,
      now: () => now,
      ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
    }),
  );
  const cookiesFor = (videoId: string, ttlSeconds = 600) => {
    const cookies = signer.sign(`${PUBLIC_URL}/media/videos/${videoId}/hls/*`, Math.floor(now / 1000) + ttlSeconds);
    return Object.entries(cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  };
  const request = (path: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
    app.request(path, { method: init.method ?? 'GET', headers: init.headers ?? {} });
  return {
    app,
    calls,
    request,
    cookiesFor,
    advance: (ms: number) => (now += ms),
  };
}

const reasonOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; details?: { reason?: string } } }).error;

describe('media edge: signed cookies', () => {
  it('serves a title’s playlists, init and segments with valid cookies, with the right types and caching', async () => {
    const { request, cookiesFor } = await setup();
    const cookie = cookiesFor('aaa111');

    const master = await request('/media/videos/aaa111/hls/master.m3u8', { headers: { cookie } });
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(master.headers.get('cache-control')).toBe('private, max-age=10');
    expect(await master.text()).toBe(MASTER);

    const segment = await request('/media/videos/aaa111/hls/720p/segment_00001.m4s', { headers: { cookie } });
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-type')).toBe('video/iso.segment');
    expect(segment.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(segment.headers.get('content-length')).toBe(String(SEGMENT.length));
    expect(segment.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await segment.arrayBuffer()).equals(SEGMENT)).toBe(true);

    const init = await request('/media/videos/aaa111/hls/720p/init.mp4', { headers: { cookie } });
    expect(init.headers.get('content-type')).toBe('video/mp4');
    const vtt = await request('/media/videos/aaa111/hls/thumbs.vtt', { headers: { cookie } });
    expect(vtt.headers.get('content-type')).toMatch(/^text\/vtt/);
  });

  it('answers 403 with a reason for no cookies, another title’s cookies, an expired policy', async () => {
    const { request, cookiesFor, advance, calls } = await setup();
    const path = '/media/videos/aaa111/hls/720p/segment_00001.m4s';

    const none = await request(path);
    expect(none.status).toBe(403);
    expect(none.headers.get('cache-control')).toBe('no-store');
    expect(await reasonOf(none)).toMatchObject({ code: 'forbidden', details: { reason: 'missing_cookies' } });

    const other = await request(path, { headers: { cookie: cookiesFor('bbb222') } });
    expect(other.status).toBe(403);
    expect(await reasonOf(other)).toMatchObject({ details: { reason: 'resource_mismatch' } });

    const cookie = cookiesFor('aaa111', 60);
    expect((await request(path, { headers: { cookie } })).status).toBe(200);
    advance(60_000);
    const expired = await request(path, { headers: { cookie } });
    expect(expired.status).toBe(403);
    expect(await reasonOf(expired)).toMatchObject({ details: { reason: 'expired' } });

    const forged = cookie.replace(/CloudFront-Key-Pair-Id=[^;]+/, 'CloudFront-Key-Pair-Id=KOTHER');
    expect(await reasonOf(await request(path, { headers: { cookie: forged } }))).toMatchObject({
      details: { reason: 'unknown_key_pair' },
    });
    // A refused request never reaches the store, so it cannot probe which files exist.
    expect(calls.filter((call) => call.startsWith('get') || call.startsWith('head'))).toHaveLength(1);
  });

  it('checks the URL the browser used, built on the public URL', async () => {
    const { request } = await setup();
    const cookies = signer.sign('http://elsewhere.test/media/videos/aaa111/hls/*', Date.UTC(2031, 0, 1) / 1000);
    const cookie = Object.entries(cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
    const response = await request('/media/videos/aaa111/hls/master.m3u8', { headers: { cookie } });
    expect(await reasonOf(response)).toMatchObject({ details: { reason: 'resource_mismatch' } });
  });

  it('refuses names outside the HLS tree’s shape with 404, without touching the store', async () => {
    const { request, cookiesFor, calls } = await setup();
    const cookie = cookiesFor('aaa111');
    for (const path of [
      '/media/videos/aaa111/hls/../../secret.txt',
      '/media/videos/aaa111/hls/%2e%2e/%2e%2e/%2e%2e/secret.txt',
      '/media/videos/aaa111/hls/..%2f..%2f..%2fsecret.txt',
      '/media/videos/aaa111/hls/.hidden.m3u8',
      '/media/videos/aaa111/hls/a/b/c.m4s',
      '/media/videos/aaa111/hls/payload.exe',
      '/media/videos/aaa111/hls/master.M3U8',
      '/media/videos/AAA111/hls/master.m3u8',
      '/media/videos/aaa%2F111/hls/master.m3u8',
      '/media/videos/aaa111/hls/',
    ]) {
      const response = await request(path, { headers: { cookie } });
      expect(response.status, path).toBe(404);
    }
    expect(calls).toEqual([]);
  });

  it('reads under a configurable key prefix', async () => {
    const { request, cookiesFor, calls } = await setup({ keyPrefix: 'tenant/media/' });
    const response = await request('/media/videos/aaa111/hls/master.m3u8', {
      headers: { cookie: cookiesFor('aaa111') },
    });
    expect(response.status).toBe(200);
    expect(calls).toEqual(['get tenant/media/videos/aaa111/hls/master.m3u8']);
  });
});

describe('media edge: HTTP semantics', () => {
  const path = '/media/videos/aaa111/hls/720p/segment_00001.m4s';

  it('serves one byte range with 206, and 416 outside the file', async () => {
    const { request, cookiesFor, calls } = await setup();
    const cookie = cookiesFor('aaa111');
    const first = await request(path, { headers: { cookie, range: 'bytes=0-99' } });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-99/${SEGMENT.length}`);
    expect(first.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await first.arrayBuffer()).equals(SEGMENT.subarray(0, 100))).toBe(true);

    const tail = await request(path, { headers: { cookie, range: 'bytes=-10' } });
    expect(tail.headers.get('content-range')).toBe(
      `bytes ${SEGMENT.length - 10}-${SEGMENT.length - 1}/${SEGMENT.length}`,
    );
    expect(Buffer.from(await tail.arrayBuffer()).equals(SEGMENT.subarray(-10))).toBe(true);

    const open = await request(path, { headers: { cookie, range: 'bytes=99990-' } });
    expect(open.status).toBe(206);
    expect((await open.arrayBuffer()).byteLength).toBe(10);

    const outside = await request(path, { headers: { cookie, range: `bytes=${SEGMENT.length}-` } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${SEGMENT.length}`);

    const several = await request(path, { headers: { cookie, range: 'bytes=0-1,5-6' } });
    expect(several.status).toBe(200);
    expect((await several.arrayBuffer()).byteLength).toBe(SEGMENT.length);
    expect(calls).toContain(`get media/videos/aaa111/hls/720p/segment_00001.m4s 0-99`);
  });

  it('answers HEAD from metadata and 304 for a matching ETag or date, never opening the body', async () => {
    const { request, cookiesFor, calls } = await setup();
    const cookie = cookiesFor('aaa111');
    const head = await request(path, { method: 'HEAD', headers: { cookie } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(SEGMENT.length));
    expect(head.headers.get('content-type')).toBe('video/iso.segment');
    const etag = head.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(head.headers.get('last-modified')).toBe('Tue, 01 Jan 2030 00:00:00 GMT');

    const cached = await request(path, { headers: { cookie, 'if-none-match': `"nope", W/${etag}` } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(etag);
    expect(cached.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(await cached.text()).toBe('');
    const byDate = await request(path, { headers: { cookie, 'if-modified-since': 'Tue, 01 Jan 2030 00:00:00 GMT' } });
    expect(byDate.status).toBe(304);
    expect(calls.some((call) => call.startsWith('get'))).toBe(false);

    const changed = await request(path, { headers: { cookie, 'if-none-match': '"other"' } });
    expect(changed.status).toBe(200);
    const staleRange = await request(path, { headers: { cookie, range: 'bytes=0-9', 'if-range': '"other"' } });
    expect(staleRange.status).toBe(200);
    const freshRange = await request(path, { headers: { cookie, range: 'bytes=0-9', 'if-range': etag! } });
    expect(freshRange.status).toBe(206);
  });

  it('streams the body: the first bytes leave before the store has produced the last', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((done) => (release = done));
    const source = Readable.from(
      (async function* () {
        yield Buffer.alloc(16 * 1024, 1);
        await gate;
        yield Buffer.alloc(16 * 1024, 2);
      })(),
    );
    const { store } = await fileObjects({});
    const info: ObjectInfo = { key: 'k', size: 32 * 1024, etag: '"e"', lastModified: '2030-01-01T00:00:00.000Z' };
    store.get = async () => ({ info, body: source });
    const cookies = signer.sign(`${PUBLIC_URL}/media/videos/aaa111/hls/*`, Date.UTC(2031, 0, 1) / 1000);
    const app = edgeAt2030(store);
    const response = await app.request('/media/videos/aaa111/hls/720p/segment_00001.m4s', {
      headers: {
        cookie: Object.entries(cookies)
          .map(([name, value]) => `${name}=${value}`)
          .join('; '),
      },
    });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.value?.[0]).toBe(1);
    release();
    let total = first.value?.byteLength ?? 0;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) total += chunk.value.byteLength;
    expect(total).toBe(32 * 1024);
  });

  it('parses single ranges as RFC 9110 says', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=5-100', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-100', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-4', 10)).toBeUndefined();
    expect(parseRange('bytes=-', 10)).toBeUndefined();
    expect(parseRange('items=0-1', 10)).toBeUndefined();
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
  });
});

describe('media edge: CORS and posters', () => {
  it('allows credentials for the web origin only', async () => {
    const { request, cookiesFor } = await setup();
    const cookie = cookiesFor('aaa111');
    const path = '/media/videos/aaa111/hls/master.m3u8';
    const allowed = await request(path, { headers: { cookie, origin: WEB_ORIGIN } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('vary')).toMatch(/Origin/);

    const stranger = await request(path, { headers: { cookie, origin: 'http://evil.test' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(stranger.headers.get('access-control-allow-credentials')).toBeNull();
    expect(stranger.headers.get('vary')).toMatch(/Origin/);

    // A refusal is readable by the player, so it can say why playback stopped.
    const refused = await request(path, { headers: { origin: WEB_ORIGIN } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
  });

  it('answers preflights for the web origin and refuses others', async () => {
    const { request } = await setup();
    const path = '/media/videos/aaa111/hls/720p/segment_00001.m4s';
    const preflight = await request(path, {
      method: 'OPTIONS',
      headers: {
        origin: WEB_ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'range',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/GET/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Range/);
    const other = await request(path, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'GET' },
    });
    expect(other.status).toBe(403);
    expect(await reasonOf(other)).toMatchObject({ details: { reason: 'origin_not_allowed' } });
  });

  it('serves posters without cookies, publicly cacheable', async () => {
    const { request } = await setup();
    const poster = await request('/media/videos/aaa111/poster.jpg');
    expect(poster.status).toBe(200);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
    expect(poster.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await poster.text()).toBe('jpeg-bytes');
    expect((await request('/media/videos/bbb222/poster.jpg')).status).toBe(404);
    expect((await request('/media/videos/..%2F..%2Fsecret/poster.jpg')).status).toBe(404);
  });
});

describe('media edge over a real socket', () => {
  it('streams segments, answers HEAD and survives a client that hangs up mid-body', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const { store } = await fileObjects({ 'media/videos/aaa111/hls/720p/segment_00002.m4s': big });
    const app = edgeAt2030(store);
    const server = createServer(getRequestListener(app.fetch));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    try {
      const { port } = server.address() as { port: number };
      const cookies = signer.sign(`${PUBLIC_URL}/media/videos/aaa111/hls/*`, Date.UTC(2031, 0, 1) / 1000);
      const cookie = Object.entries(cookies)
        .map(([name, value]) => `${name}=${value}`)
        .join('; ');
      const url = `http://127.0.0.1:${port}/media/videos/aaa111/hls/720p/segment_00002.m4s`;

      const full = await fetch(url, { headers: { cookie } });
      expect(full.status).toBe(200);
      expect(Buffer.from(await full.arrayBuffer()).equals(big)).toBe(true);

      const head = await fetch(url, { method: 'HEAD', headers: { cookie } });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(big.length));

      const aborter = new AbortController();
      const partial = await fetch(url, { headers: { cookie }, signal: aborter.signal });
      await partial.body!.getReader().read();
      aborter.abort();

      const range = await fetch(url, { headers: { cookie, range: 'bytes=1048576-1048675' } });
      expect(range.status).toBe(206);
      expect(Buffer.from(await range.arrayBuffer()).equals(big.subarray(1048576, 1048676))).toBe(true);
      expect((await fetch(url)).status).toBe(403);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
  it('closes the file when the viewer hangs up mid-body', async () => {
    const { store } = await fileObjects({});
    const info: ObjectInfo = { key: 'k', size: 64 * 1024 ** 2, etag: '"e"', lastModified: '2030-01-01T00:00:00.000Z' };
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 64; i++) yield Buffer.alloc(1024 ** 2, i);
      })(),
    );
    store.get = async () => ({ info, body: source });
    const server = createServer(getRequestListener(edgeAt2030(store).fetch));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    try {
      const { port } = server.address() as { port: number };
      const cookies = signer.sign(`${PUBLIC_URL}/media/videos/aaa111/hls/*`, Date.UTC(2031, 0, 1) / 1000);
      const aborter = new AbortController();
      const partial = await fetch(`http://127.0.0.1:${port}/media/videos/aaa111/hls/720p/segment_00001.m4s`, {
        headers: {
          cookie: Object.entries(cookies)
            .map(([name, value]) => `${name}=${value}`)
            .join('; '),
        },
        signal: aborter.signal,
      });
      expect((await partial.body!.getReader().read()).done).toBe(false);
      aborter.abort();
      await expect.poll(() => source.destroyed, { timeout: 5000 }).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});

describe('playback endpoint → media edge (the standalone wiring)', () => {
  it('the cookies an admin gets open that title’s HLS files until they expire, and no other title’s', async () => {
    let now = Date.UTC(2030, 0, 1, 12);
    const auth = await testAuth(() => now);
    const dir = await mkdtemp(join(tmpdir(), 'kinema-playback-'));
    tempDirs.push(dir);
    const table = sqliteTable({ file: join(dir, 'entitlement.db'), now: () => now });
    const { store } = await fileObjects({
      'media/videos/aaa111/hls/720p/segment_00001.m4s': SEGMENT,
      'media/videos/bbb222/hls/720p/segment_00001.m4s': SEGMENT,
    });
    const site = new Hono()
      .route(
        '/api/entitlement',
        createEntitlementApp({
          table,
          verifier: auth.verifier,
          clock: { now: () => now },
          cookies: signer,
          mediaOrigin: PUBLIC_URL,
        }),
      )
      .route(
        '/media',
        mediaEdge({ objects: store, publicKeys, publicUrl: PUBLIC_URL, allowedOrigin: PUBLIC_URL, now: () => now }),
      );
    try {
      const viewer = await site.request('/api/entitlement/playback/aaa111', {
        method: 'POST',
        headers: await auth.bearer('viewer1', ['viewer']),
      });
      // The entitlement store knows no published title aaa111, so a viewer is refused outright.
      expect(viewer.status).toBe(404);

      const granted = await site.request('/api/entitlement/playback/aaa111', {
        method: 'POST',
        headers: await auth.bearer('admin1', ['admin']),
      });
      expect(granted.status).toBe(200);
      expect(await granted.json()).toMatchObject({
        manifestUrl: `${PUBLIC_URL}/media/videos/aaa111/hls/master.m3u8`,
      });
      const jar = Object.fromEntries(
        granted.headers.getSetCookie().map((line) => {
          const [pair = ''] = line.split(';');
          const at = pair.indexOf('=');
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
      );
      const cookie = Object.entries(jar)
        .map(([name, value]) => `${name}=${value}`)
        .join('; ');

      const segment = (id: string) => `${PUBLIC_URL}/media/videos/${id}/hls/720p/segment_00001.m4s`;
      expect(verifyCloudFrontCookies({ cookies: jar, url: segment('aaa111'), now, publicKeys })).toMatchObject({
        ok: true,
      });
      expect(verifyCloudFrontCookies({ cookies: jar, url: segment('bbb222'), now, publicKeys })).toMatchObject({
        ok: false,
        reason: 'resource_mismatch',
      });

      const mine = await site.request('/media/videos/aaa111/hls/720p/segment_00001.m4s', { headers: { cookie } });
      expect(mine.status).toBe(200);
      expect(Buffer.from(await mine.arrayBuffer()).equals(SEGMENT)).toBe(true);
      const theirs = await site.request('/media/videos/bbb222/hls/720p/segment_00001.m4s', { headers: { cookie } });
      expect(theirs.status).toBe(403);

      now += 10 * 60 * 1000;
      const late = await site.request('/media/videos/aaa111/hls/720p/segment_00001.m4s', { headers: { cookie } });
      expect(late.status).toBe(403);
      expect(await reasonOf(late)).toMatchObject({ details: { reason: 'expired' } });
    } finally {
      table.close();
    }
  });
});
