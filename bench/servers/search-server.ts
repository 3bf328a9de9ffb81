/**
 * The search bench's server (argv[2] = subject | baseline). The subject builds the embedded index
 * over 10,000 generated videos, measures build time, heap and in-process query latency (and the
 * Array.filter + includes scan over the same records), then serves the catalog's real search
 * route. The baseline is a bare Hono route answering a fixed page of hits. The first stdout line
 * is JSON with the port and the figures.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createSearchApp } from '#services/catalog/src/search-http.js';
import { searchResponse } from '#services/catalog/src/domain/search.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newVideo } from '#services/catalog/src/domain/video.js';
import { catalogStore } from '#services/catalog/src/store.js';
import { miniSearchIndex } from '#platform/local/search-minisearch.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { localSearch } from '#runtime/standalone/search.js';
import { benchData } from './search-data.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

const mode = process.argv[2] === 'baseline' ? 'baseline' : 'subject';
const { documents, queries } = benchData();
const index = miniSearchIndex();
const before = heap();
const buildStarted = performance.now();
await index.replaceAll(documents);
const buildMs = performance.now() - buildStarted;
const indexBytes = heap() - before;

const figures: Record<string, number> = { buildMs, indexBytes };
if (mode === 'subject') {
  const timed = async (run: (q: string) => unknown) => {
    for (const q of queries) await run(q); // warm up
    const times: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      for (const q of queries) {
        const started = performance.now();
        await run(q);
        times.push(performance.now() - started);
      }
    }
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  };
  const engine = await timed((q) => index.search({ q, filters: {}, page: 0, hitsPerPage: 20 }));
  const scan = await timed((q) =>
    documents
      .filter(
        (video) =>
          video.title.includes(q) || video.description.includes(q) || video.cast.some((name) => name.includes(q)),
      )
      .slice(0, 20),
  );
  Object.assign(figures, { p50: engine.p50, p99: engine.p99, scanP50: scan.p50, scanP99: scan.p99 });
  Object.assign(figures, await rebuildAtStart());
}

/**
 * The standalone start: the same 10,000 videos published in a SQLite catalog, the index rebuilt
 * from it (localSearch), against only reading the published videos page by page.
 */
async function rebuildAtStart() {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'kinema-bench-search-'));
  const table = sqliteTable({ file: join(dir, 'catalog.db') });
  try {
    const store = catalogStore(table);
    for (const document of documents) {
      const { objectID, publishedAt, title, description, cast, genres, priceJpy, freePreview } = document;
      const video = newVideo(
        objectID,
        { title, description, cast, genres, priceJpy, freePreview },
        Date.parse(publishedAt),
      );
      await store.create({ ...video, status: 'ready', published: true, publishedAt }, []);
    }
    let started = performance.now();
    let cursor: string | undefined;
    do {
      const page = await store.list({ publishedOnly: true, limit: 100, ...(cursor ? { cursor } : {}) });
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const readMs = performance.now() - started;
    started = performance.now();
    const search = localSearch({ table, clock: { now: Date.now } });
    const { videos } = await search.rebuilt;
    const rebuildMs = performance.now() - started;
    await search.close();
    if (videos !== documents.length) throw new Error(`rebuilt ${videos} of ${documents.length} videos`);
    return { readMs, rebuildMs };
  } finally {
    table.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const app = new Hono();
if (mode === 'subject') {
  app.route('/api/catalog', createSearchApp({ index }));
} else {
  const page = JSON.stringify(
    searchResponse(await index.search({ q: 'night', filters: {}, page: 0, hitsPerPage: 20 })),
  );
  app.get('/api/catalog/search', (c) => c.body(page, 200, { 'content-type': 'application/json' }));
}
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port, queries, ...figures })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
