import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { likeFanout } from '../src/fanout.js';
import { recordingRealtime } from './support.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('live fan-out coalesced per video', () => {
  it('sends a viral burst as a few updates a second, ending on the exact final count', async () => {
    const { realtime, published } = recordingRealtime();
    let count = 0;
    const fanout = likeFanout({ realtime, count: async () => count, intervalMs: 250 });
    // 2,000 likes over 2 seconds: one event per millisecond.
    const done: Promise<void>[] = [];
    for (let ms = 0; ms < 2000; ms++) {
      count++;
      done.push(fanout.notify('v1'));
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(done);
    expect(published.length).toBeGreaterThanOrEqual(8);
    expect(published.length).toBeLessThanOrEqual(10); // 4 a second, plus the trailing one
    expect(published.at(-1)).toEqual({ channel: 'likes/v1', message: { count: 2000 } });
    expect(fanout.active).toBe(0); // quiet videos are forgotten
  });

  it('sends the first change at once and coalesces per video, not across videos', async () => {
    const { realtime, published } = recordingRealtime();
    const fanout = likeFanout({ realtime, count: async (videoId) => (videoId === 'a' ? 1 : 7) });
    void fanout.notify('a');
    void fanout.notify('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toEqual([
      { channel: 'likes/a', message: { count: 1 } },
      { channel: 'likes/b', message: { count: 7 } },
    ]);
  });

  it('rejects the waiters of a failed publish and recovers on the next change', async () => {
    let fail = true;
    const sent: unknown[] = [];
    const fanout = likeFanout({
      realtime: {
        async publish(_channel, message) {
          if (fail) throw new Error('appsync said 503');
          sent.push(message);
        },
      },
      count: async () => 3,
    });
    const first = fanout.notify('v1');
    const failed = expect(first).rejects.toThrow('503');
    await vi.advanceTimersByTimeAsync(0);
    await failed;
    fail = false;
    const second = fanout.notify('v1');
    await vi.advanceTimersByTimeAsync(300);
    await second;
    expect(sent).toEqual([{ count: 3 }]);
  });
});
