import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { MULTIPART } from '#shared/ports/object-store.js';
import { fileStore } from '#platform/local/file-store.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { backupDataFolder, restoreDataFolder } from './backup.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const storeAt = (dataDir: string) =>
  fileStore({
    root: join(dataDir, 'objects'),
    publicUrl: 'http://localhost:3000',
    secret: 'backup-parts-secret-0123456789',
    now: Date.now,
  });

describe('backup and restore of objects kept as parts', () => {
  it('brings a completed multipart object back whole, with its ETag and ranges across parts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kinema-backup-parts-'));
    const data = join(dir, 'data');
    await mkdir(data);
    const table = sqliteTable({ file: join(data, 'catalog.db') }); // a backup needs a database
    await table.put({ pk: 'video#v1', sk: 'video', sourceKey: 'sources/v1/source' });
    table.close();
    const store = storeAt(data);
    const key = 'sources/v1/source';
    const parts = [Buffer.alloc(MULTIPART.minPartSize, 'a'), Buffer.from('and the short end')];
    const { uploadId } = await store.createMultipart(key, 'video/mp4');
    const sent = [];
    for (const [index, bytes] of parts.entries()) {
      sent.push(await store.writePart(key, uploadId, index + 1, Readable.from([bytes]), bytes.length));
    }
    const info = await store.completeMultipart(
      key,
      uploadId,
      sent.map(({ partNumber, etag }) => ({ partNumber, etag })),
    );

    await backupDataFolder({ dataDir: data, target: join(dir, 'backup') });
    const restored = join(dir, 'restored');
    await restoreDataFolder({ backupDir: join(dir, 'backup'), dataDir: restored });

    const again = storeAt(restored);
    expect(await again.head(key)).toEqual(info);
    const whole = await again.get(key);
    expect((await buffer(whole!.body)).equals(Buffer.concat(parts))).toBe(true);
    const start = MULTIPART.minPartSize - 4;
    const ranged = await again.get(key, { start, end: start + 9 });
    expect((await buffer(ranged!.body)).equals(Buffer.concat(parts).subarray(start, start + 10))).toBe(true);
  });
});
