import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCatalogApp } from '#services/catalog/src/http.js';
import { newVideo } from '#services/catalog/src/domain/video.js';
import { catalogStore } from '#services/catalog/src/store.js';
import { createDispatcher } from '#platform/local/dispatcher.js';
import type { Dispatcher } from '#platform/local/dispatcher.js';
import { fileStore } from '#platform/local/file-store.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import { testAuth } from '#test/support/auth.js';
import { localSearch } from './search.js';

/**
 * Search standalone, end to end: the catalog's routes on the embedded index, kept current by the
 * search-sync workflow that the outbox dispatcher starts, rebuilt from the catalog at start.
 */
describe('standalone search', () => {
  let dir: string;
  let table: SqliteTable;
  let dispatcher: Dispatcher;
  let search: ReturnType<typeof localSearch>;
  let app: ReturnType<typeof createCatalogApp>;
  let admin: Record<string, string>;
  let clockNow = Date.parse('2026-11-28T10:00:00Z');
  const clock = { now: () => clockNow };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-search-'));
    table = sqliteTable({ file: join(dir, 'catalog.db'), now: clock.now });
    search = localSearch({ table, clock });
    const auth = await testAuth(clock.now);
    admin = await auth.bearer('admin-1', ['admin']);
    const objects = fileStore({
      root: join(dir, 'objects'),
      publicUrl: 'http://x.test',
      secret: 's'.repeat(32),
      now: clock.now,
    });
    app = createCatalogApp({ table, objects, verifier: auth.verifier, clock, search: { index: search.index } });
    dispatcher = createDispatcher({
      file: join(dir, 'bus.db'),
      sources: [{ name: 'catalog', table }],
      subscriptions: search.subscriptions.map((subscription) => ({ subscription, inbox: table })),
      now: () => Date.now(),
      pollMs: 50,
    });
    dispatcher.start();
  });

  afterEach(async () => {
    await dispatcher.stop();
    await search.close();
    table.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A transcoded (ready) video, as the media pipeline leaves it. */
  const readyVideo = async (
    title: string,
    extra: { cast?: string[]; genres?: string[]; description?: string } = {},
  ) => {
    clockNow += 1000;
    const video = newVideo(
      `v${clockNow.toString(36)}`,
      {
        title,
        description: extra.description ?? '',
        cast: extra.cast ?? [],
        genres: extra.genres ?? [],
        priceJpy: 400,
        freePreview: false,
      },
      clockNow,
    );
    await catalogStore(table).create({ ...video, status: 'ready' }, []);
    return video.videoId;
  };
  const post = (path: string) => app.request(path, { method: 'POST', headers: admin });
  const find = async (query: string) => {
    const res = await app.request(`/search?${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as {
      hits: { videoId: string; _highlightResult: { title: { value: string } } }[];
      nbHits: number;
      facets: Record<string, Record<string, number>>;
    };
  };
  /** Polls until the condition holds; returns how long it took. */
  const within = async (ms: number, condition: () => Promise<boolean>) => {
    const started = Date.now();
    while (!(await condition())) {
      if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return Date.now() - started;
  };

  it('shows a video once published and hides it within a second of unpublishing or deleting', async () => {
    const id = await readyVideo('Tokyo Night Drive', { cast: ['渡辺謙'], genres: ['Drama'] });
    expect((await find('q=tokyo')).nbHits).toBe(0); // ready but not published
    expect((await post(`/videos/${id}/publish`)).status).toBe(200);
    await within(1000, async () => (await find('q=tokyo')).hits[0]?.videoId === id);
    const hit = (await find('q=%E6%B8%A1%E8%BE%BA%E8%AC%99')).hits[0]; // 渡辺謙
    expect(hit?.videoId).toBe(id);

    await app.request(`/videos/${id}`, {
      method: 'PATCH',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Osaka Morning' }),
    });
    await within(
      1000,
      async () => (await find('q=osaka')).hits[0]?._highlightResult.title.value === '<mark>Osaka</mark> Morning',
    );
    expect((await find('q=tokyo')).nbHits).toBe(0);

    expect((await post(`/videos/${id}/unpublish`)).status).toBe(200);
    await within(1000, async () => (await find('q=osaka')).nbHits === 0);

    expect((await post(`/videos/${id}/publish`)).status).toBe(200);
    await within(1000, async () => (await find('q=osaka')).nbHits === 1);
    expect((await app.request(`/videos/${id}`, { method: 'DELETE', headers: admin })).status).toBe(204);
    await within(1000, async () => (await find('')).nbHits === 0);
  });

  it('rebuilds the index from the published videos of the catalog at start', async () => {
    const published = await readyVideo('Whisper of the Sea');
    await readyVideo('Whisper of the Draft'); // never published
    await post(`/videos/${published}/publish`);
    const fresh = localSearch({ table, clock });
    try {
      expect(await fresh.rebuilt).toMatchObject({ videos: 1 });
      const result = await fresh.index.search({ q: 'whisper', filters: {}, page: 0, hitsPerPage: 10 });
      expect(result.hits.map((hit) => hit.objectID)).toEqual([published]);
    } finally {
      await fresh.close();
    }
  });

  it('answers bad input with a clear 400 or a sensible result, never a 500 or a draft', async () => {
    const id = await readyVideo('Secret Draft Tokyo');
    const shown = await readyVideo('Tokyo Shown', { cast: ['Ken Watanabe'], genres: ['Drama'] });
    await post(`/videos/${shown}/publish`);
    await within(1000, async () => (await find('')).nbHits === 1);

    const status = async (query: string) => {
      const res = await app.request(`/search?${query}`);
      const body = (await res.json()) as { error?: { code: string; message: string }; hits?: { videoId: string }[] };
      expect(body.hits?.some((hit) => hit.videoId === id) ?? false).toBe(false);
      return { status: res.status, body };
    };
    const long = await status(`q=${'a'.repeat(10_000)}`);
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({
      code: 'invalid_input',
      message: 'q: the query may be at most 512 characters',
    });
    for (const query of [
      'hitsPerPage=101',
      'hitsPerPage=0',
      'page=-1',
      'page=99999999',
      'page=abc',
      'page=1.5',
      `cast=${'x'.repeat(101)}`,
    ]) {
      const answer = await status(query);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error?.code).toBe('invalid_input');
    }
    for (const query of [
      'q=',
      'q=%20%20%09',
      'q=%00%07tokyo%1b',
      'q=%F0%9F%8E%AC',
      "q='%3B%20DROP%20TABLE%20videos%3B--",
      'q=%3Cscript%3E',
      'cast=nobody',
      'genre=Drama&genre=none',
      'q=tokyo&page=5',
      'q=secret',
      'foo=bar',
    ]) {
      expect((await status(query)).status, query).toBe(200);
    }
    expect((await find('q=%00%07tokyo%1b')).hits.map((hit) => hit.videoId)).toEqual([shown]);
    expect((await find('q=%20%20%09')).hits.map((hit) => hit.videoId)).toEqual([shown]);
    expect((await find('genre=Drama&genre=none')).facets).toEqual({
      cast: { 'Ken Watanabe': 1 },
      genres: { Drama: 1 },
    });
    expect((await find('cast=nobody')).nbHits).toBe(0);
  });

  it('dead-letters an event whose sync failed', async () => {
    await search.tasks.DeadLetter({
      QueueUrl: 'local',
      MessageBody: {
        event: { id: 'evt-1', 'detail-type': 'VideoUpdated', detail: { videoId: 'v1' } },
        error: { Error: 'Boom' },
      },
    });
    expect(await search.deadLetters()).toEqual([
      { event: { id: 'evt-1', 'detail-type': 'VideoUpdated', detail: { videoId: 'v1' } }, error: { Error: 'Boom' } },
    ]);
  });
});
