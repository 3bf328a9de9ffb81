import { describe, expect, it, vi } from 'vitest';

// Every folder flush is a handle whose sync() the test finishes by hand, so it can see which
// callers a flush answers and how many flushes ran.
const flushes: { resolve: () => void; started: number }[] = [];
let clock = 0;
vi.mock('node:fs/promises', async (original) => ({
  ...(await original<typeof import('node:fs/promises')>()),
  open: async () => ({
    sync: () => new Promise<void>((resolve) => flushes.push({ resolve, started: ++clock })),
    close: async () => undefined,
  }),
}));
const { fsyncDirShared } = await import('./durable-fs.js');

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('fsyncDirShared (group commit)', () => {
  it('answers a caller only with a flush that started after it called; latecomers share one', async () => {
    const done: string[] = [];
    const a = fsyncDirShared('/d').then(() => done.push('a'));
    await tick();
    expect(flushes).toHaveLength(1);
    // b and c call while a's flush runs: that flush may predate their renames, so they wait for the next.
    const b = fsyncDirShared('/d').then(() => done.push('b'));
    const c = fsyncDirShared('/d').then(() => done.push('c'));
    await tick();
    expect(flushes).toHaveLength(1);
    flushes[0]!.resolve();
    await a;
    await tick();
    expect(done).toEqual(['a']);
    expect(flushes).toHaveLength(2); // one flush for both b and c
    flushes[1]!.resolve();
    await Promise.all([b, c]);
    expect(done).toEqual(['a', 'b', 'c']);
    expect(flushes).toHaveLength(2);
    // Another folder is flushed on its own.
    const other = fsyncDirShared('/e');
    await tick();
    expect(flushes).toHaveLength(3);
    flushes[2]!.resolve();
    await other;
  });
});
