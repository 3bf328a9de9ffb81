import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MULTIPART } from '#shared/ports/object-store.js';
import { fileStore } from './file-store.js';
import type { FileStore } from './file-store.js';
import { readParts } from './file-store-parts.js';

let root: string;
let clock: { t: number };
let store: FileStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kinema-parts-'));
  clock = { t: Date.UTC(2030, 0, 1) };
  store = fileStore({ root, publicUrl: 'http://localhost:3000', secret: 'test-secret-0123456789', now: () => clock.t });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const md5 = (data: Buffer) => createHash('md5').update(data).digest();
const partName = (n: number, data: Buffer) => `${String(n).padStart(5, '0')}.${md5(data).toString('hex')}`;

describe('readParts', () => {
  it('reads any range of the joined parts exactly, across part boundaries and empty parts', async () => {
    const dir = join(root, 'p');
    await mkdir(dir);
    let files = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        async (arrays, a, b) => {
          const parts = arrays.map((array) => Buffer.from(array));
          const whole = Buffer.concat(parts);
          fc.pre(whole.length > 0);
          const list = [];
          for (const data of parts) {
            const name = partName(++files % 10_000, data);
            await writeFile(join(dir, name), data);
            list.push({ name, size: data.length });
          }
          const start = a % whole.length;
          const end = start + (b % (whole.length - start)); // inclusive, within the object
          const read = await buffer(readParts(dir, list, start, end));
          expect(read.equals(whole.subarray(start, end + 1))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fails a read whose part is gone rather than yield other bytes', async () => {
    const dir = join(root, 'gone');
    await mkdir(dir);
    const first = Buffer.from('first part');
    await writeFile(join(dir, partName(1, first)), first);
    const list = [
      { name: partName(1, first), size: first.length },
      { name: partName(2, Buffer.from('x')), size: 1 },
    ];
    await expect(buffer(readParts(dir, list, 0, first.length))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('multipart objects kept as parts', () => {
  const key = 'sources/v1/source';
  // Three parts, the last one short; the part boundaries are at 5 MiB and 10 MiB.
  const parts = [
    Buffer.alloc(MULTIPART.minPartSize, 'a'),
    Buffer.alloc(MULTIPART.minPartSize, 'b'),
    Buffer.from('the short last part'),
  ];
  const whole = Buffer.concat(parts);

  async function complete(which = [1, 2, 3], extra: Buffer[] = []) {
    const { uploadId } = await store.createMultipart(key, 'video/mp4');
    const sent = [];
    for (const [index, data] of [...parts, ...extra].entries()) {
      sent.push(await store.writePart(key, uploadId, index + 1, Readable.from([data]), data.length));
    }
    const list = sent.filter((part) => which.includes(part.partNumber));
    const info = await store.completeMultipart(
      key,
      uploadId,
      list.map(({ partNumber, etag }) => ({ partNumber, etag })),
    );
    return { uploadId, info };
  }

  it('completes without copying: the data file is the part list, reads and ranges span the parts', async () => {
    const { uploadId, info } = await complete();
    const etag = createHash('md5')
      .update(Buffer.concat(parts.map(md5)))
      .digest('hex');
    expect(info).toMatchObject({ key, size: whole.length, etag: `"${etag}-3"`, contentType: 'video/mp4' });
    expect((await stat(join(root, 'objects', key))).size).toBeLessThan(1024);
    expect((await readdir(join(root, 'parts', uploadId))).filter((name) => name !== 'manifest.json')).toHaveLength(3);
    expect(await readdir(join(root, 'multipart'))).toEqual([]);

    expect(await store.head(key)).toEqual(info);
    expect((await store.list('sources/')).map((object) => object.size)).toEqual([whole.length]);
    const got = await store.get(key);
    expect(got?.info).toEqual(info);
    expect((await buffer(got!.body)).equals(whole)).toBe(true);
    const boundary = MULTIPART.minPartSize;
    for (const [start, end] of [
      [boundary - 3, boundary + 2],
      [0, 2 * boundary + 4],
      [2 * boundary - 1, whole.length - 1],
      [whole.length - 5, undefined],
    ] as const) {
      const ranged = await store.get(key, end === undefined ? { start } : { start, end });
      const read = await buffer(ranged!.body);
      expect(read.equals(whole.subarray(start, (end ?? whole.length - 1) + 1))).toBe(true);
    }
  });

  it('keeps only the parts the list names, and its ETag counts those', async () => {
    const { uploadId, info } = await complete([1, 3]);
    const chosen = [parts[0]!, parts[2]!];
    const etag = createHash('md5')
      .update(Buffer.concat(chosen.map(md5)))
      .digest('hex');
    expect(info).toMatchObject({ etag: `"${etag}-2"`, size: chosen[0]!.length + chosen[1]!.length });
    expect((await buffer((await store.get(key))!.body)).equals(Buffer.concat(chosen))).toBe(true);
    expect((await readdir(join(root, 'parts', uploadId))).sort()).toEqual(
      ['manifest.json', partName(1, chosen[0]!), partName(3, chosen[1]!)].sort(),
    );
  });

  it('drops the parts when the object is deleted or replaced', async () => {
    const first = await complete();
    await store.put(key, Buffer.from('a plain object now'));
    expect(await readdir(join(root, 'parts'))).toEqual([]);
    expect((await buffer((await store.get(key))!.body)).toString()).toBe('a plain object now');

    const second = await complete();
    const third = await complete();
    expect(await readdir(join(root, 'parts'))).toEqual([third.uploadId]);
    expect(first.uploadId).not.toBe(second.uploadId);
    await store.delete(key);
    expect(await readdir(join(root, 'parts'))).toEqual([]);
    expect(await store.get(key)).toBeUndefined();
  });

  it('sweeps part folders no object names, never the one in use', async () => {
    const { uploadId } = await complete();
    // A crash between the move into parts/ and the commit leaves a folder nothing names.
    const orphan = await store.createMultipart('sources/v2/source', 'video/mp4');
    await store.writePart('sources/v2/source', orphan.uploadId, 1, Readable.from([Buffer.from('x')]));
    await rename(join(root, 'multipart', orphan.uploadId), join(root, 'parts', orphan.uploadId));
    expect(await store.sweepAbandoned(3600_000)).toBe(0);
    expect((await readdir(join(root, 'parts'))).sort()).toEqual([uploadId, orphan.uploadId].sort());
    clock.t += 2 * 3600_000;
    await store.sweepAbandoned(3600_000);
    expect(await readdir(join(root, 'parts'))).toEqual([uploadId]);
    expect((await buffer((await store.get(key))!.body)).equals(whole)).toBe(true);
  });
});
