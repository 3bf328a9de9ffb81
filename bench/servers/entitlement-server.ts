/**
 * The entitlement benchmark's server, in its own process. `subject`: the real entitlement app on
 * SQLite with 48 published titles (their facts from catalog events), a viewer holding a rental on
 * one of them, and CloudFront cookie signing. `baseline`: a bare Hono app answering the same JSON
 * (and the same Set-Cookie headers) from memory. Prints `{"port", "token", "videoIds", "rented"}`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { cloudFrontCookieSigner } from '#protocol/cloudfront-cookies.js';
import { loadOrCreateCloudFrontKeys } from '#platform/local/cloudfront-keys.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { fulfil } from '#services/entitlement/src/fulfilment.js';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { entitlementStore } from '#services/entitlement/src/store.js';
import { entitlementSubscriptions } from '#services/entitlement/src/subscribers.js';
import { VideoCreated, VideoPublished } from '#shared/events/catalog.js';
import { newId } from '#shared/ids.js';
import { systemClock } from '#shared/ports/clock.js';
import { benchViewer, serveBench } from './bench-viewer.js';

const kind = process.argv[2];
const mediaOrigin = 'http://127.0.0.1';
const { token, verifier } = await benchViewer('viewer-bench');

const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-entitlement-'));
const table = sqliteTable({ file: join(dir, 'entitlement.db') });
const now = Date.now();
const videoIds = Array.from({ length: 48 }, (_, i) => newId(now + i));
const [created, , published] = entitlementSubscriptions({ table });
for (const [i, videoId] of videoIds.entries()) {
  const facts = {
    videoId,
    title: `Title ${i}`,
    description: '',
    cast: [],
    genres: [],
    priceJpy: 400,
    freePreview: false,
  };
  await created!.handle(VideoCreated.create(facts, now));
  await published!.handle(VideoPublished.create(facts, now + 1));
}
const rented = videoIds[0]!;
const store = entitlementStore(table, { now: Date.now });
await fulfil(
  store,
  {
    kind: 'rental.paid',
    eventId: 'evt_bench',
    at: now,
    userId: 'viewer-bench',
    videoId: rented,
    paymentId: 'pi_bench',
    amountJpy: 400,
  },
  now,
);

const cookies = cloudFrontCookieSigner(loadOrCreateCloudFrontKeys(dir));
const real = new Hono().route(
  '/api/entitlement',
  createEntitlementApp({ table, verifier, clock: systemClock, cookies, mediaOrigin }),
);

let app: Hono = real;
if (kind === 'baseline') {
  // The same answers, computed once by the real app and replayed from memory.
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const access = await (
    await real.request('/api/entitlement/access', { method: 'POST', headers, body: JSON.stringify({ videoIds }) })
  ).text();
  const playback = await real.request(`/api/entitlement/playback/${rented}`, { method: 'POST', headers });
  const playbackBody = await playback.text();
  const setCookies = playback.headers.getSetCookie();
  app = new Hono();
  app.post('/api/entitlement/access', (c) => c.body(access, 200, { 'content-type': 'application/json' }));
  app.post('/api/entitlement/playback/:id', (c) => {
    for (const cookie of setCookies) c.header('set-cookie', cookie, { append: true });
    return c.body(playbackBody, 200, { 'content-type': 'application/json' });
  });
}

serveBench(app, { token, videoIds, rented });
