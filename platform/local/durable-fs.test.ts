import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsyncDirShared } from './durable-fs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kinema-durable-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('fsyncDirShared', () => {
  it('settles every concurrent caller, in the order they came', async () => {
    const settled: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await writeFile(join(root, `f${i}`), 'x');
        await fsyncDirShared(root);
        settled.push(i);
      }),
    );
    expect(settled.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // And again once idle: a fresh flush, not a stale settled promise.
    await expect(fsyncDirShared(root)).resolves.toBeUndefined();
  });

  it('rejects for a folder that is gone, and recovers for the next caller', async () => {
    const gone = join(root, 'gone');
    await expect(fsyncDirShared(gone)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(Promise.all([fsyncDirShared(gone), fsyncDirShared(gone)])).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fsyncDirShared(root)).resolves.toBeUndefined();
  });
});
