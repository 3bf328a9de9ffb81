import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VideoReady } from '#shared/events/media.js';
import { fileStore } from '#platform/local/file-store.js';
import type { FileStore } from '#platform/local/file-store.js';
import { fileStoreListener } from '#platform/local/file-store-http.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import { testAuth } from '#test/support/auth.js';
import { createCatalogApp } from '../src/http.js';
import { catalogSubscriptions } from '../src/subscribers.js';

const MiB = 1024 ** 2;

/** The first bytes of a real MP4 (an ftyp box), then filler: the catalog checks only the container. */
function fakeMp4(size: number): Buffer {
  const bytes = Buffer.alloc(size, 7);
  const ftyp = Buffer.from('00000020667479706973736f0000020069736f6d69736f3261766331', 'hex');
  ftyp.copy(bytes, 0);
  bytes.write('isom', 8, 'latin1');
  return bytes;
}

describe('catalog service', () => {
  let dir: string;
  let table: SqliteTable;
  let objects: FileStore;
  let server: Server;
  let now = Date.parse('2026-11-28T10:00:00Z');
  const clock = { now: () => now };
  let app: ReturnType<typeof createCatalogApp>;
  let admin: Record<string, string>;
  let viewer: Record<string, string>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-catalog-'));
    table = sqliteTable({ file: join(dir, 'catalog.db'), now: clock.now });
    server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    objects = fileStore({
      root: join(dir, 'objects'),
      publicUrl,
      secret: 'test-secret-test-secret-test-secret',
      now: clock.now,
    });
    server.on('request', fileStoreListener(objects));
    const auth = await testAuth(clock.now);
    app = createCatalogApp({ table, objects, verifier: auth.verifier, clock, limits: { maxUploadBytes: 64 * MiB } });
    admin = await auth.bearer('admin-1', ['admin']);
    viewer = await auth.bearer('viewer-1', ['viewer']);
  });

  afterEach(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    table.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const json = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    app.request(path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const createVideo = async (title = 'Tokyo Story') => {
    const res = await json('POST', '/videos', admin, {
      title,
      description: '老夫婦が東京の子どもたちを訪ねる。',
      cast: ['Chishū Ryū', 'Setsuko Hara'],
      genres: ['drama'],
      priceJpy: 400,
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { videoId: string; status: string };
  };

  /** Uploads every part listed (or only `only`) and returns their ETags. */
  const putParts = async (bytes: Buffer, partSize: number, parts: { partNumber: number; url: string }[]) => {
    const etags: { partNumber: number; etag: string }[] = [];
    for (const part of parts) {
      const chunk = bytes.subarray((part.partNumber - 1) * partSize, part.partNumber * partSize);
      const res = await fetch(part.url, { method: 'PUT', body: new Uint8Array(chunk) });
      expect(res.status).toBe(200);
      etags.push({ partNumber: part.partNumber, etag: res.headers.get('etag')! });
    }
    return etags;
  };

  const outboxTypes = () => table.outbox.pending(100).map((row) => row.envelope['detail-type']);

  it('lets only admins create and edit, and validates every field', async () => {
    expect((await json('POST', '/videos', {}, { title: 'x', priceJpy: 1 })).status).toBe(401);
    expect((await json('POST', '/videos', viewer, { title: 'x', priceJpy: 1 })).status).toBe(403);
    const long = await json('POST', '/videos', admin, { title: 'x'.repeat(10_000), priceJpy: 1 });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain('at most 200 characters');
    expect((await json('POST', '/videos', admin, { title: 'ok', priceJpy: -5 })).status).toBe(400);
    expect((await json('POST', '/videos', admin, { title: 'ok', priceJpy: '400' })).status).toBe(400);
    const video = await createVideo();
    const patched = await json('PATCH', `/videos/${video.videoId}`, admin, { title: '  東京物語  ' });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      title: '東京物語',
      cast: ['Chishū Ryū', 'Setsuko Hara'],
      priceJpy: 400,
    });
    expect((await json('PATCH', `/videos/${video.videoId}`, admin, {})).status).toBe(400);
    expect(outboxTypes()).toEqual(['VideoCreated', 'VideoUpdated']);
  });

  it('refuses control, bidi, invisible and unpaired characters in text fields, storing nothing', async () => {
    for (const title of ['a\u0000b', 'a\u0007b', '\u001b[31mred', 'abc\u202etxt', 'ad\u200bmin', 'a\ud800b']) {
      const refused = await json('POST', '/videos', admin, { title, priceJpy: 1 });
      expect(refused.status, JSON.stringify(title)).toBe(400);
      expect(await refused.text()).toMatch(/character/);
    }
    const castRefused = await json('POST', '/videos', admin, { title: 'ok', cast: ['Setsuko\u202eHara'], priceJpy: 1 });
    expect(castRefused.status).toBe(400);
    expect(outboxTypes()).toEqual([]);
    const family = await json('POST', '/videos', admin, {
      title: '家族 👨\u200d👩\u200d👧',
      description: 'one\ntwo',
      priceJpy: 1,
    });
    expect(family.status).toBe(201);
  });

  it('refuses ids that could escape a key or a path', async () => {
    for (const id of ['..%2F..%2Fetc', 'A', 'a.b', 'x%00y']) {
      const res = await json('GET', `/videos/${id}`, admin);
      expect(res.status, id).toBe(400);
    }
    // A dot-dot segment is resolved away by URL normalisation before routing: no route, no traversal.
    expect((await json('GET', '/videos/%2e%2e', admin)).status).toBe(404);
  });

  it('uploads through presigned parts, resumes with only the missing parts, and emits VideoUploaded', async () => {
    const video = await createVideo();
    const bytes = fakeMp4(20 * MiB + 123);
    const start = await json('POST', `/videos/${video.videoId}/upload`, admin, {
      size: bytes.length,
      contentType: 'video/mp4',
    });
    expect(start.status).toBe(201);
    const plan = (await start.json()) as {
      uploadId: string;
      partSize: number;
      parts: { partNumber: number; url: string }[];
    };
    expect(plan.partSize).toBe(8 * MiB);
    expect(plan.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);

    // The connection dies after the first part; the page reloads and asks what arrived.
    const first = await putParts(bytes, plan.partSize, plan.parts.slice(0, 1));
    const resume = await json(
      'GET',
      `/videos/${video.videoId}/upload?uploadId=${encodeURIComponent(plan.uploadId)}`,
      admin,
    );
    const state = (await resume.json()) as {
      parts: { partNumber: number }[];
      missing: { partNumber: number; url: string }[];
    };
    expect(state.parts.map((p) => p.partNumber)).toEqual([1]);
    expect(state.missing.map((p) => p.partNumber)).toEqual([2, 3]);
    const rest = await putParts(bytes, plan.partSize, state.missing);

    const complete = await json('POST', `/videos/${video.videoId}/upload/complete`, admin, {
      uploadId: plan.uploadId,
      parts: [...first, ...rest],
    });
    expect(complete.status).toBe(202);
    const after = (await (await json('GET', `/videos/${video.videoId}`, admin)).json()) as {
      status: string;
      sourceKey: string;
    };
    expect(after.status).toBe('processing');
    const stored = await objects.head(after.sourceKey);
    expect(stored?.size).toBe(bytes.length);
    const uploaded = table.outbox.pending(100).find((row) => row.envelope['detail-type'] === 'VideoUploaded');
    expect(uploaded?.envelope.detail).toMatchObject({ videoId: video.videoId, size: bytes.length });
  });

  it('rejects a text file renamed .mp4 after upload, stores nothing, and lets the admin retry', async () => {
    const video = await createVideo();
    const text = Buffer.from('this is a plain text file pretending to be a movie\n'.repeat(20));
    const start = (await (
      await json('POST', `/videos/${video.videoId}/upload`, admin, { size: text.length, contentType: 'video/mp4' })
    ).json()) as {
      uploadId: string;
      partSize: number;
      parts: { partNumber: number; url: string }[];
    };
    const parts = await putParts(text, start.partSize, start.parts);
    const complete = await json('POST', `/videos/${video.videoId}/upload/complete`, admin, {
      uploadId: start.uploadId,
      parts,
    });
    expect(complete.status).toBe(415);
    expect(await complete.text()).toContain('not an MP4 or QuickTime');
    const after = (await (await json('GET', `/videos/${video.videoId}`, admin)).json()) as {
      status: string;
      failureReason: string;
    };
    expect(after).toMatchObject({ status: 'draft', failureReason: expect.stringContaining('MP4') });
    expect(await objects.list('sources/')).toEqual([]);
    expect(outboxTypes()).not.toContain('VideoUploaded');
    const retry = await json('POST', `/videos/${video.videoId}/upload`, admin, { size: 10, contentType: 'video/mp4' });
    expect(retry.status).toBe(201);
  });

  it('refuses bad completions without damaging what is stored', async () => {
    const video = await createVideo();
    const bytes = fakeMp4(17 * MiB);
    const plan = (await (
      await json('POST', `/videos/${video.videoId}/upload`, admin, { size: bytes.length, contentType: 'video/mp4' })
    ).json()) as {
      uploadId: string;
      partSize: number;
      parts: { partNumber: number; url: string }[];
    };
    const etags = await putParts(bytes, plan.partSize, plan.parts);
    const complete = (parts: unknown) =>
      json('POST', `/videos/${video.videoId}/upload/complete`, admin, { uploadId: plan.uploadId, parts });
    expect((await complete(etags.slice(0, 2))).status).toBe(400); // missing a part
    expect((await complete([etags[1], etags[0], etags[2]])).status).toBe(400); // out of order
    expect((await complete([etags[0], etags[0], etags[2]])).status).toBe(400); // duplicated
    expect((await complete([etags[0], etags[1], { partNumber: 3, etag: '"0000"' }])).status).toBe(400); // wrong ETag
    expect(
      (
        await json('POST', `/videos/${video.videoId}/upload/complete`, admin, {
          uploadId: 'someone-elses',
          parts: etags,
        })
      ).status,
    ).toBe(404);
    expect(outboxTypes()).not.toContain('VideoUploaded');
    expect((await complete(etags)).status).toBe(202); // the parts were not damaged
  });

  it('refuses declared sizes beyond the limit, empty files and other content types', async () => {
    const video = await createVideo();
    const start = (body: unknown) => json('POST', `/videos/${video.videoId}/upload`, admin, body);
    expect((await start({ size: 65 * MiB, contentType: 'video/mp4' })).status).toBe(400);
    expect((await start({ size: 0, contentType: 'video/mp4' })).status).toBe(400);
    expect((await start({ size: 10, contentType: 'text/plain' })).status).toBe(400);
  });

  it('shows viewers only published videos; publishing waits for the media pipeline', async () => {
    const draft = await createVideo('Draft');
    const ready = await createVideo('Ready');
    expect((await json('POST', `/videos/${ready.videoId}/publish`, admin)).status).toBe(409);

    const [, onReady] = catalogSubscriptions({ table, clock });
    await onReady!.handle(
      VideoReady.create({ videoId: ready.videoId, durationSeconds: 60, renditions: [], posterKey: 'p.jpg' }, now),
    );
    now += 1000;
    expect((await json('POST', `/videos/${ready.videoId}/publish`, admin)).status).toBe(200);

    const asViewer = (await (await json('GET', '/videos', viewer)).json()) as { items: { videoId: string }[] };
    expect(asViewer.items.map((v) => v.videoId)).toEqual([ready.videoId]);
    expect((await json('GET', `/videos/${draft.videoId}`, viewer)).status).toBe(404);
    const asAdmin = (await (await json('GET', '/videos', admin)).json()) as { items: unknown[] };
    expect(asAdmin.items).toHaveLength(2);

    expect((await json('POST', `/videos/${ready.videoId}/unpublish`, admin)).status).toBe(200);
    const afterUnpublish = (await (await json('GET', '/videos', {})).json()) as { items: unknown[] };
    expect(afterUnpublish.items).toEqual([]);
  });

  it('pages through the catalog with a cursor', async () => {
    for (let i = 0; i < 5; i++) {
      now += 1;
      await createVideo(`Video ${i}`);
    }
    const first = (await (await json('GET', '/videos?limit=2', admin)).json()) as {
      items: { title: string }[];
      nextCursor: string;
    };
    expect(first.items.map((v) => v.title)).toEqual(['Video 4', 'Video 3']);
    const second = (await (
      await json('GET', `/videos?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`, admin)
    ).json()) as {
      items: { title: string }[];
    };
    expect(second.items.map((v) => v.title)).toEqual(['Video 2', 'Video 1']);
    expect((await json('GET', '/videos?limit=1000', admin)).status).toBe(400);
  });
});
