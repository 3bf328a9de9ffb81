import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md5Stream } from './md5-thread.js';

const md5 = (data: Buffer) => createHash('md5').update(data).digest();

describe('md5Stream (MD5 on the hashing thread)', () => {
  it('equals one-pass MD5 for any chunking, with streams interleaved', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300_000 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 6 }),
        async (sizesA, sizesB) => {
          const chunksA = sizesA.map((size) => randomBytes(size));
          const chunksB = sizesB.map((size) => randomBytes(size));
          const a = md5Stream();
          const b = md5Stream();
          for (let i = 0; i < Math.max(chunksA.length, chunksB.length); i++) {
            if (chunksA[i]) await a.update(chunksA[i]!);
            if (chunksB[i]) await b.update(chunksB[i]!);
          }
          const [digestA, digestB] = await Promise.all([a.digest(), b.digest()]);
          expect(digestA.toString('hex')).toBe(md5(Buffer.concat(chunksA)).toString('hex'));
          expect(digestB.toString('hex')).toBe(md5(Buffer.concat(chunksB)).toString('hex'));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('makes the writer wait while too much is unhashed, then lets it go on', async () => {
    const stream = md5Stream();
    const chunk = randomBytes(1024 ** 2);
    const waits: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 8; i++) waits.push(stream.update(chunk));
    expect(waits.some((wait) => wait !== undefined)).toBe(true);
    await Promise.all(waits);
    expect((await stream.digest()).equals(md5(Buffer.concat(Array.from({ length: 8 }, () => chunk))))).toBe(true);
  });

  it('forgets a discarded stream and refuses to use it again, while others go on', async () => {
    const dropped = md5Stream();
    const kept = md5Stream();
    await dropped.update(Buffer.from('abandoned'));
    await kept.update(Buffer.from('kept'));
    dropped.discard();
    await expect(dropped.digest()).rejects.toThrow(/after digest or discard/);
    expect(() => dropped.update(Buffer.from('x'))).toThrow(/after digest or discard/);
    expect((await kept.digest()).equals(md5(Buffer.from('kept')))).toBe(true);
  });
});
