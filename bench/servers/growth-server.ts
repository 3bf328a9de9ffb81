/**
 * The growth benchmark's server, in its own process: the real catalog and entitlement apps on
 * SQLite holding N published titles (argv[2]), seeded in bulk through the Table port (100 items a
 * transaction). Entitlement's in-memory facts cache is off, so every `/access` reads its titles.
 * Prints `{"port", "token", "pages": [ids of 48 titles, …], "middleCursor"}`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { z } from 'zod';
import { newVideo } from '#services/catalog/src/domain/video.js';
import { createCatalogApp } from '#services/catalog/src/http.js';
import { videoItem } from '#services/catalog/src/store.js';
import { applyCatalogChange } from '#services/entitlement/src/domain/video.js';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { newId } from '#shared/ids.js';
import { systemClock } from '#shared/ports/clock.js';
import type { Write } from '#shared/ports/table.js';
import { fileStore } from '#platform/local/file-store.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { benchViewer, serveBench } from './bench-viewer.js';

const titles = z.coerce.number().int().min(48).parse(process.argv[2]);
const { token, verifier } = await benchViewer('viewer-growth');

const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-growth-'));
const catalog = sqliteTable({ file: join(dir, 'catalog.db') });
const entitlement = sqliteTable({ file: join(dir, 'entitlement.db') });
const start = Date.UTC(2030, 0, 1);
const ids: string[] = [];
for (let first = 0; first < titles; first += 100) {
  const videos: Write[] = [];
  const facts: Write[] = [];
  for (let i = first; i < Math.min(first + 100, titles); i++) {
    const at = start + i * 1000;
    const videoId = newId(at);
    ids.push(videoId);
    const draft = newVideo(
      videoId,
      {
        title: `Title ${i}`,
        description: 'A title of the growth bench.',
        cast: ['Cast'],
        genres: ['drama'],
        priceJpy: 400,
        freePreview: i % 10 === 0,
      },
      at,
    );
    const publishedAt = new Date(at + 500).toISOString();
    videos.push({
      put: videoItem({ ...draft, status: 'ready', published: true, publishedAt, updatedAt: publishedAt }),
    });
    const version = `${String(at).padStart(15, '0')}#seed-${i}`;
    const projected = applyCatalogChange(
      undefined,
      videoId,
      { kind: 'facts', title: `Title ${i}`, priceJpy: 400, freePreview: i % 10 === 0, published: true },
      version,
    );
    if (projected) facts.push({ put: { pk: `video#${videoId}`, sk: 'facts', ...projected, rev: 1 } });
  }
  await catalog.transact(videos);
  await entitlement.transact(facts);
}

const objects = fileStore({
  root: join(dir, 'objects'),
  publicUrl: 'http://127.0.0.1',
  secret: 'growth-secret-growth-secret',
  now: Date.now,
});
const app = new Hono()
  .route('/api/catalog', createCatalogApp({ table: catalog, objects, verifier, clock: systemClock }))
  .route(
    '/api/entitlement',
    createEntitlementApp({ table: entitlement, verifier, clock: systemClock, factsCacheMs: 0 }),
  );

// Pages of 48 titles spread over the whole catalog, and a cursor half-way down the list.
// 48 distinct titles every size: one every `stride`, from a different start per page.
const stride = Math.floor(titles / 48);
const pages = Array.from({ length: 8 }, (_, page) =>
  Array.from({ length: 48 }, (_, i) => ids[(page + i * stride) % titles]!),
);
let middleCursor: string | null = null;
let cursor: string | null = null;
for (let seen = 0; seen < titles / 2; seen += 100) {
  const res = await app.request(
    `/api/catalog/videos?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
  );
  cursor = z.object({ nextCursor: z.string().nullable() }).parse(await res.json()).nextCursor;
  middleCursor = cursor;
}

serveBench(app, { token, pages, middleCursor });
