import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progressWriter } from './progress-writer.js';

beforeEach(() => vi.useFakeTimers({ now: 0 }));
afterEach(() => vi.useRealTimers());

function recording(windowMs = 5_000, maxBatch = 1) {
  const written: { key: string; value: number; at: number }[] = [];
  const calls: number[] = [];
  const writer = progressWriter<number>({
    windowMs,
    maxBatch,
    write: async (entries) => {
      calls.push(entries.length);
      for (const { key, value } of entries) written.push({ key, value, at: Date.now() });
    },
  });
  return { writer, written, calls };
}

describe('the progress writer', () => {
  it('writes the first report at once', async () => {
    const { writer, written } = recording();
    const outcome = writer.submit('u/v', 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(await outcome).toBe('written');
    expect(written).toEqual([{ key: 'u/v', value: 1, at: 0 }]);
  });

  it('folds a flood into one write per window, the last value flushed', async () => {
    const { writer, written } = recording();
    const outcomes: Promise<string>[] = [];
    // 1 000 beacons over 12 s, one every 12 ms, positions rising.
    for (let index = 0; index < 1000; index++) {
      outcomes.push(writer.submit('u/v', index));
      await vi.advanceTimersByTimeAsync(12);
    }
    await vi.runAllTimersAsync();
    const results = await Promise.all(outcomes);
    // Writes at 0, 5, 10 s, then the trailing one: never two inside a window.
    expect(written.length).toBeLessThanOrEqual(4);
    for (let index = 1; index < written.length; index++) {
      expect(written[index]!.at - written[index - 1]!.at).toBeGreaterThanOrEqual(5_000);
    }
    expect(written.at(-1)?.value).toBe(999);
    expect(results.filter((outcome) => outcome === 'written')).toHaveLength(written.length);
    expect(results.at(-1)).toBe('written');
  });

  it('answers superseded reports at once: at most one request per key waits', async () => {
    const { writer } = recording();
    const firstWrite = writer.submit('u/v', 1);
    await vi.advanceTimersByTimeAsync(0);
    await firstWrite;
    const second = writer.submit('u/v', 2);
    const third = writer.submit('u/v', 3);
    expect(await second).toBe('superseded');
    let settled = false;
    void third.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBe(false);
    await vi.runAllTimersAsync();
    expect(await third).toBe('written');
  });

  it('keeps viewers and titles apart', async () => {
    const { writer, written } = recording();
    const all = Promise.all([writer.submit('a/v', 1), writer.submit('b/v', 2), writer.submit('a/w', 3)]);
    await vi.runAllTimersAsync();
    await all;
    expect(written.map((write) => write.key).sort()).toEqual(['a/v', 'a/w', 'b/v']);
  });

  it('writes what is due in the same turn together, up to the batch size (group commit)', async () => {
    const { writer, calls } = recording(5_000, 4);
    const all = Promise.all(Array.from({ length: 10 }, (_, index) => writer.submit(`u${index}/v`, index)));
    await vi.runAllTimersAsync();
    expect(await all).toEqual(Array.from({ length: 10 }, () => 'written'));
    expect(calls).toEqual([4, 4, 2]);
    expect(writer.writes).toBe(10);
    expect(writer.batches).toBe(3);
  });

  it('flushes what waits on shutdown', async () => {
    const { writer, written } = recording();
    const firstWrite = writer.submit('u/v', 1);
    await vi.advanceTimersByTimeAsync(0);
    await firstWrite;
    const waiting = writer.submit('u/v', 2);
    const flushed = writer.flush();
    await vi.advanceTimersByTimeAsync(0);
    await flushed;
    expect(await waiting).toBe('written');
    expect(written.map((write) => write.value)).toEqual([1, 2]);
  });

  it('waits on shutdown for a write already under way', async () => {
    let finish: () => void = () => undefined;
    const written: number[] = [];
    const writer = progressWriter<number>({
      write: (entries) =>
        new Promise<void>((resolve) => {
          finish = () => {
            written.push(...entries.map((entry) => entry.value));
            resolve();
          };
        }),
    });
    const underWay = writer.submit('u/v', 1);
    await vi.advanceTimersByTimeAsync(0);
    let flushed = false;
    const flushing = writer.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(flushed).toBe(false);
    finish();
    await flushing;
    expect(written).toEqual([1]);
    expect(await underWay).toBe('written');
  });

  it('rejects the waiting request when its write fails, and keeps going', async () => {
    let fail = false;
    const writer = progressWriter<number>({
      write: async () => {
        if (fail) throw new Error('disk full');
      },
    });
    const firstWrite = writer.submit('u/v', 1);
    await vi.advanceTimersByTimeAsync(0);
    await firstWrite;
    fail = true;
    const waiting = writer.submit('u/v', 2);
    const caught = waiting.catch((error: Error) => error.message);
    await vi.runAllTimersAsync();
    expect(await caught).toBe('disk full');
    fail = false;
    await vi.advanceTimersByTimeAsync(5_000);
    const third = writer.submit('u/v', 3);
    await vi.advanceTimersByTimeAsync(0);
    expect(await third).toBe('written');
  });
});
