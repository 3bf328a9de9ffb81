import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStore } from '#platform/local/file-store.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { testAuth } from '#test/support/auth.js';
import { createMediaApp } from './http.js';
import { mediaKeys } from './domain/media-video.js';
import type { MediaVideo } from './domain/media-video.js';
import { mediaStore } from './store.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const T0 = Date.UTC(2030, 0, 1);
const text = async (store: ReturnType<typeof fileStore>, key: string) => {
  const found = await store.get(key);
  if (!found) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of found.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
};

async function setup(state: MediaVideo['state'] = 'ready') {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-posters-'));
  const table = sqliteTable({ file: join(dir, 'media.db'), now: () => T0 });
  const media = fileStore({
    root: join(dir, 'objects'),
    publicUrl: 'http://localhost:3000',
    secret: 's'.repeat(32),
    now: () => T0,
  });
  cleanups.push(() => {
    table.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const auth = await testAuth(() => T0);
  const keys = mediaKeys('v1');
  // Stand-ins for the JPEGs the pipeline writes: their text says which still they are.
  await media.put(keys.poster, Buffer.from('automatic'), { contentType: 'image/jpeg' });
  const thumbnailKeys = [0, 1, 2, 3].map((index) => keys.thumbnail(index));
  for (const [index, key] of thumbnailKeys.entries()) await media.put(key, Buffer.from(`thumbnail ${index}`));
  const at = new Date(T0).toISOString();
  await mediaStore(table).save(undefined, {
    videoId: 'v1',
    state,
    progress: state === 'ready' ? 100 : 50,
    sourceKey: 'sources/v1/source.mp4',
    uploadEventId: 'evt',
    run: 1,
    attempts: 1,
    executionId: null,
    plan: null,
    renditions: [],
    posterKey: state === 'ready' ? keys.poster : null,
    thumbnailKeys: state === 'ready' ? thumbnailKeys : [],
    posterFrom: null,
    storyboardKey: null,
    durationSeconds: 60,
    error: null,
    createdAt: at,
    updatedAt: at,
    startedAt: at,
    finishedAt: at,
  });
  const app = createMediaApp({ table, verifier: auth.verifier, clock: { now: () => T0 }, media });
  const call = async (method: string, path: string, body?: unknown, roles: ('admin' | 'viewer')[] = ['admin']) =>
    app.request(path, {
      method,
      headers: {
        ...(await auth.bearer('boss', roles)),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { app, media, call, keys };
}

describe('the poster picker (admin)', () => {
  it('lists the stills as signed links, makes a thumbnail the poster, and goes back to automatic', async () => {
    const { media, call, keys } = await setup();
    const stills = (await (await call('GET', '/videos/v1/stills')).json()) as {
      posterFrom: number | null;
      automatic: string;
      thumbnails: { index: number; url: string }[];
    };
    expect(stills.posterFrom).toBeNull();
    expect(stills.thumbnails.map((thumbnail) => thumbnail.index)).toEqual([0, 1, 2, 3]);
    expect(stills.thumbnails[2]!.url).toMatch(/^http:\/\/localhost:3000\/_store\/.*thumbnails\/03\.jpg\?.*/);

    const chosen = await call('PUT', '/videos/v1/poster', { from: 2 });
    expect(chosen.status).toBe(200);
    expect(await chosen.json()).toMatchObject({ posterFrom: 2 });
    expect(await text(media, keys.poster)).toBe('thumbnail 2');
    expect(await text(media, keys.automaticPoster)).toBe('automatic');
    // Choosing again never loses the automatic poster.
    await call('PUT', '/videos/v1/poster', { from: 0 });
    expect(await text(media, keys.automaticPoster)).toBe('automatic');
    expect(await text(media, keys.poster)).toBe('thumbnail 0');

    expect(await (await call('PUT', '/videos/v1/poster', { from: 'auto' })).json()).toMatchObject({ posterFrom: null });
    expect(await text(media, keys.poster)).toBe('automatic');
    // The admin's status view says which one is the poster.
    expect(await (await call('GET', '/videos/v1')).json()).toMatchObject({ posterFrom: null });
  });

  it('refuses bad choices, viewers, and videos that are not ready, changing nothing', async () => {
    const { media, call, keys } = await setup();
    const tooFar = await call('PUT', '/videos/v1/poster', { from: 4 });
    expect(tooFar.status).toBe(400);
    expect(await tooFar.json()).toMatchObject({ error: { details: { reason: 'no_such_thumbnail' } } });
    expect((await call('PUT', '/videos/v1/poster', { from: '1' })).status).toBe(400);
    expect((await call('PUT', '/videos/v1/poster', { from: 1 }, ['viewer'])).status).toBe(403);
    expect((await call('GET', '/videos/v1/stills', undefined, ['viewer'])).status).toBe(403);
    expect((await call('PUT', '/videos/nope/poster', { from: 1 })).status).toBe(404);
    expect(await text(media, keys.poster)).toBe('automatic');

    const processing = await setup('processing');
    const answer = await processing.call('PUT', '/videos/v1/poster', { from: 1 });
    expect(answer.status).toBe(409);
    expect(await answer.json()).toMatchObject({ error: { details: { reason: 'not_ready' } } });
  });
});
