import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '#shared/errors.js';
import { MULTIPART } from '#shared/ports/object-store.js';
import { fileStore } from './file-store.js';
import type { FileStore } from './file-store.js';

const md5 = (data: Buffer) => createHash('md5').update(data).digest();
const code = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );
const codeOf = (run: () => unknown) => {
  try {
    run();
    return 'returned';
  } catch (error) {
    return error instanceof AppError ? error.code : String(error);
  }
};

let root: string;
let clock: { t: number };
let store: FileStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kinema-file-store-'));
  clock = { t: Date.UTC(2030, 0, 1) };
  store = fileStore({
    root,
    publicUrl: 'http://localhost:3000/',
    secret: 'test-secret-0123456789',
    now: () => clock.t,
  });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('objects', () => {
  it('puts, reads, ranges, heads, lists and deletes with MD5 ETags', async () => {
    const body = Buffer.from('hello, kinema');
    const info = await store.put('videos/v1/poster.jpg', body, { contentType: 'image/jpeg' });
    expect(info).toMatchObject({
      key: 'videos/v1/poster.jpg',
      size: body.length,
      etag: `"${md5(body).toString('hex')}"`,
      contentType: 'image/jpeg',
      lastModified: new Date(clock.t).toISOString(),
    });
    const got = await store.get('videos/v1/poster.jpg');
    expect(got?.info).toEqual(info);
    expect(await text(got!.body)).toBe('hello, kinema');

    const ranged = await store.get('videos/v1/poster.jpg', { start: 7, end: 12 });
    expect(ranged?.info.size).toBe(body.length); // the whole object's size, not the range's
    expect(await text(ranged!.body)).toBe('kinema');
    expect(await code(store.get('videos/v1/poster.jpg', { start: 99 }))).toBe('invalid_input');

    await store.put('videos/v1/master.m3u8', Readable.from([Buffer.from('#EXTM3U\n')]));
    await store.put('videos/v10/master.m3u8', Buffer.from('x'));
    await store.put('other/x', Buffer.from('y'));
    expect((await store.list('videos/v1/')).map((o) => o.key)).toEqual([
      'videos/v1/master.m3u8',
      'videos/v1/poster.jpg',
    ]);
    expect((await store.list('videos/v1')).map((o) => o.key)).toEqual([
      'videos/v1/master.m3u8',
      'videos/v1/poster.jpg',
      'videos/v10/master.m3u8',
    ]);
    expect(await store.list('nothing/')).toEqual([]);
    expect((await store.list('')).length).toBe(4);

    expect(await store.head('videos/v1/poster.jpg')).toEqual(info);
    await store.delete('videos/v1/poster.jpg');
    await store.delete('videos/v1/poster.jpg'); // deleting what is gone is fine, as on S3
    expect(await store.head('videos/v1/poster.jpg')).toBeUndefined();
    expect(await store.get('videos/v1/poster.jpg')).toBeUndefined();
  });

  it('replaces an object whole and recomputes a stale sidecar', async () => {
    await store.put('a/b', Buffer.from('first version'));
    const second = await store.put('a/b', Buffer.from('second'));
    expect(await text((await store.get('a/b'))!.body)).toBe('second');
    expect(second.etag).toBe(`"${md5(Buffer.from('second')).toString('hex')}"`);
    // A crash between the data rename and the sidecar rename leaves new data beside old facts.
    await writeFile(join(root, 'objects', 'a', 'b'), 'changed behind its back');
    const healed = await store.head('a/b');
    expect(healed?.etag).toBe(`"${md5(Buffer.from('changed behind its back')).toString('hex')}"`);
    expect(healed?.size).toBe(23);
  });

  it('refuses keys that are not plain segments, including traversal attempts', async () => {
    const bad = [
      '',
      '/etc/passwd',
      '../outside',
      'a/../../outside',
      'a/./b',
      '..',
      'a//b',
      'a/',
      'a\\b',
      'a\0b',
      'a b',
      'é',
      'x'.repeat(1025),
    ];
    for (const key of bad) {
      expect(await code(store.put(key, Buffer.from('x'))), key).toBe('invalid_input');
      expect(await code(store.get(key)), key).toBe('invalid_input');
      expect(await code(store.createMultipart(key, 'video/mp4')), key).toBe('invalid_input');
      expect(await code(store.presignGet(key, 60)), key).toBe('invalid_input');
    }
    expect(await code(store.list('../'))).toBe('invalid_input');
    expect(existsSync(join(root, '..', 'outside'))).toBe(false);
    expect(await code(store.put('x'.repeat(200), Buffer.from('ok')))).toBe('resolved');
  });

  it('reports a key that collides with a key "folder" as a conflict', async () => {
    await store.put('a/b', Buffer.from('x'));
    expect(await code(store.put('a', Buffer.from('y')))).toBe('conflict');
    expect(await text((await store.get('a/b'))!.body)).toBe('x');
  });
});

describe('multipart', () => {
  const partA = Buffer.alloc(MULTIPART.minPartSize, 'a');
  const partB = Buffer.alloc(MULTIPART.minPartSize, 'b');
  const partC = Buffer.from('the short last part');
  const key = 'sources/v1/source';

  async function uploadAll() {
    const { uploadId } = await store.createMultipart(key, 'video/mp4');
    const parts = [];
    for (const [index, data] of [partA, partB, partC].entries()) {
      parts.push(await store.writePart(key, uploadId, index + 1, Readable.from([data]), data.length));
    }
    return { uploadId, parts };
  }

  it('assembles parts with S3 multipart ETags and removes the upload', async () => {
    const { uploadId, parts } = await uploadAll();
    expect(parts.map((p) => p.etag)).toEqual([partA, partB, partC].map((d) => `"${md5(d).toString('hex')}"`));
    expect(await store.listParts(key, uploadId)).toEqual(parts);

    const info = await store.completeMultipart(
      key,
      uploadId,
      parts.map(({ partNumber, etag }) => ({ partNumber, etag })),
    );
    const expected = createHash('md5')
      .update(Buffer.concat([md5(partA), md5(partB), md5(partC)]))
      .digest('hex');
    expect(info).toMatchObject({ key, etag: `"${expected}-3"`, size: 2 * MULTIPART.minPartSize + partC.length });
    expect(info.contentType).toBe('video/mp4');
    const whole = await store.get(key);
    const hash = createHash('sha256');
    for await (const chunk of whole!.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(
      createHash('sha256')
        .update(Buffer.concat([partA, partB, partC]))
        .digest('hex'),
    );
    expect(await readdir(join(root, 'multipart'))).toEqual([]);
    expect(await code(store.listParts(key, uploadId))).toBe('not_found');
    expect(await code(store.writePart(key, uploadId, 1, Readable.from([partC])))).toBe('not_found');
  });

  it('lets a part be sent again, replacing the earlier one', async () => {
    const { uploadId } = await store.createMultipart(key, 'video/mp4');
    await store.writePart(key, uploadId, 2, Readable.from([Buffer.from('old')]));
    const fresh = await store.writePart(key, uploadId, 2, Readable.from([Buffer.from('new bytes')]));
    expect(await store.listParts(key, uploadId)).toEqual([fresh]);
    expect(fresh.size).toBe(9);
  });

  it('refuses a bad part list at completion and leaves the upload intact', async () => {
    const { uploadId, parts } = await uploadAll();
    const list = parts.map(({ partNumber, etag }) => ({ partNumber, etag }));
    const [one, two, three] = list as [(typeof list)[0], (typeof list)[0], (typeof list)[0]];
    const attempts: [string, { partNumber: number; etag: string }[], string][] = [
      ['out of order', [two, one, three], 'ascending order'],
      ['duplicated', [one, one, two, three], 'more than once'],
      ['missing', [one, two, three, { partNumber: 4, etag: three.etag }], 'never uploaded'],
      ['wrong etag', [one, { ...two, etag: one.etag }, three], 'does not match'],
      ['empty', [], 'at least one part'],
    ];
    for (const [what, attempt, message] of attempts) {
      const error = await store.completeMultipart(key, uploadId, attempt).catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(AppError);
      expect((error as AppError).code, what).toBe('invalid_input');
      expect((error as AppError).message, what).toContain(message);
    }
    // S3's EntityTooSmall: a short part anywhere but last.
    await store.writePart(key, uploadId, 4, Readable.from([Buffer.from('tail')]));
    const small = await store
      .completeMultipart(key, uploadId, [
        one,
        two,
        three,
        { partNumber: 4, etag: `"${md5(Buffer.from('tail')).toString('hex')}"` },
      ])
      .catch((e: unknown) => e);
    expect((small as AppError).message).toContain('at least');
    // Unknown uploads, and an upload used under another key, are not found.
    expect(await code(store.completeMultipart(key, 'nope', list))).toBe('not_found');
    expect(await code(store.completeMultipart('sources/v2/source', uploadId, list))).toBe('not_found');
    expect(await code(store.completeMultipart(key, '../../etc', list))).toBe('invalid_input');
    // Nothing was assembled and the good list still completes (ETags unquoted are accepted too).
    expect(await store.head(key)).toBeUndefined();
    const info = await store.completeMultipart(
      key,
      uploadId,
      list.map((p) => ({ ...p, etag: p.etag.replaceAll('"', '') })),
    );
    expect(info.size).toBe(2 * MULTIPART.minPartSize + partC.length);
  });

  it('keeps no part when the body is short, long or breaks off', async () => {
    const { uploadId } = await store.createMultipart(key, 'video/mp4');
    expect(await code(store.writePart(key, uploadId, 1, Readable.from([Buffer.from('abc')]), 10))).toBe(
      'invalid_input',
    );
    expect(await code(store.writePart(key, uploadId, 1, Readable.from([Buffer.from('abcdef')]), 3))).toBe(
      'invalid_input',
    );
    const breaking = new Readable({
      read() {
        this.push(Buffer.alloc(1024, 'z'));
        this.destroy(new Error('connection reset'));
      },
    });
    expect(await code(store.writePart(key, uploadId, 1, breaking))).toContain('connection reset');
    expect(await code(store.writePart(key, uploadId, 1, Readable.from([]), MULTIPART.maxPartSize + 1))).toBe(
      'payload_too_large',
    );
    expect(await code(store.writePart(key, uploadId, 0, Readable.from([])))).toBe('invalid_input');
    expect(await code(store.writePart(key, uploadId, 10_001, Readable.from([])))).toBe('invalid_input');
    expect(await store.listParts(key, uploadId)).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('aborts, and sweeps uploads older than the given age', async () => {
    const first = await store.createMultipart(key, 'video/mp4');
    await store.abortMultipart(key, first.uploadId);
    expect(await code(store.listParts(key, first.uploadId))).toBe('not_found');
    expect(await code(store.abortMultipart(key, first.uploadId))).toBe('not_found');

    const old = await store.createMultipart(key, 'video/mp4');
    await store.writePart(key, old.uploadId, 1, Readable.from([Buffer.from('x')]));
    clock.t += 3 * 3600_000;
    const recent = await store.createMultipart(key, 'video/mp4');
    await writeFile(join(root, 'tmp', 'left-by-a-crash.tmp'), 'junk');
    expect(await store.sweepAbandoned(2 * 3600_000)).toBe(1);
    expect(await code(store.listParts(key, old.uploadId))).toBe('not_found');
    expect(await store.listParts(key, recent.uploadId)).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });
});

describe('presigned URLs', () => {
  it('signs part URLs for one key, upload, part and method until they expire', async () => {
    const { uploadId } = await store.createMultipart('sources/v1/source', 'video/mp4');
    const url = new URL(await store.presignPart('sources/v1/source', uploadId, 3, 900));
    expect(url.origin + url.pathname).toBe('http://localhost:3000/_store/sources/v1/source');
    expect(url.searchParams.get('uploadId')).toBe(uploadId);
    expect(url.searchParams.get('partNumber')).toBe('3');
    expect(store.verifyUrl('PUT', url)).toEqual({
      kind: 'part',
      method: 'PUT',
      key: 'sources/v1/source',
      uploadId,
      partNumber: 3,
      expiresAt: Math.floor(clock.t / 1000) * 1000 + 900_000,
    });
    // Reusable until expiry: resuming re-sends parts on the URLs already handed out.
    expect(store.verifyUrl('PUT', url).kind).toBe('part');

    const edited = (change: (u: URL) => void) => {
      const copy = new URL(url);
      change(copy);
      return codeOf(() => store.verifyUrl('PUT', copy));
    };
    expect(edited((u) => u.searchParams.set('partNumber', '4'))).toBe('forbidden');
    expect(edited((u) => u.searchParams.set('uploadId', 'anotherupload'))).toBe('forbidden');
    expect(edited((u) => (u.pathname = '/_store/sources/v2/source'))).toBe('forbidden');
    expect(edited((u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 3600)))).toBe(
      'forbidden',
    );
    // One character changed (never to itself: a signature starting with 'A' would stay valid).
    const flip = (signature: string) => (signature.startsWith('A') ? 'B' : 'A') + signature.slice(1);
    expect(edited((u) => u.searchParams.set('signature', flip(u.searchParams.get('signature')!)))).toBe('forbidden');
    expect(edited((u) => u.searchParams.delete('signature'))).toBe('forbidden');
    expect(edited((u) => u.searchParams.delete('partNumber'))).toBe('forbidden');
    expect(edited((u) => u.searchParams.append('partNumber', '3'))).toBe('forbidden');
    expect(edited((u) => (u.pathname = '/elsewhere/sources/v1/source'))).toBe('forbidden');
    expect(edited((u) => (u.pathname = '/_store/sources%2F..%2F..%2Fsecrets.json'))).toBe('invalid_input');
    expect(codeOf(() => store.verifyUrl('GET', url))).toBe('forbidden');

    const stranger = fileStore({
      root,
      publicUrl: 'http://localhost:3000',
      secret: 'another-secret-abcdefgh',
      now: () => clock.t,
    });
    expect(codeOf(() => stranger.verifyUrl('PUT', url))).toBe('forbidden');

    clock.t += 901_000;
    const expired = codeOf(() => store.verifyUrl('PUT', url));
    expect(expired).toBe('gone');
  });

  it('signs object GET and PUT URLs, the PUT bound to its content type', async () => {
    const get = new URL(await store.presignGet('videos/v1/poster.jpg', 60));
    expect(store.verifyUrl('GET', get)).toMatchObject({ kind: 'object', method: 'GET', key: 'videos/v1/poster.jpg' });
    expect(codeOf(() => store.verifyUrl('PUT', get))).toBe('forbidden');
    const put = new URL(await store.presignPut('videos/v1/poster.jpg', 60, 'image/jpeg'));
    expect(store.verifyUrl('PUT', put)).toMatchObject({ kind: 'object', contentType: 'image/jpeg' });
    put.searchParams.set('contentType', 'text/html');
    expect(codeOf(() => store.verifyUrl('PUT', put))).toBe('forbidden');
    expect(await code(store.presignGet('a', 0))).toBe('invalid_input');
    expect(await code(store.presignGet('a', 8 * 24 * 3600))).toBe('invalid_input');
    expect(await code(store.presignPart('a', 'upload', 0, 60))).toBe('invalid_input');
  });
});
