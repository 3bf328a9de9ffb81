import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectLive } from './live';

/** An EventSource stand-in the test drives: open, frames, drops and refusals. */
class FakeSource extends EventTarget {
  static all: FakeSource[] = [];
  readyState = 0;
  closed = false;
  constructor(readonly url: string) {
    super();
    FakeSource.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  likes(count: unknown) {
    this.dispatchEvent(new MessageEvent('likes', { data: JSON.stringify({ count }) }));
  }
  drop() {
    this.readyState = 0; // the browser retries by itself
    this.dispatchEvent(new Event('error'));
  }
  refuse() {
    this.readyState = 2; // a non-200 answer: the browser gives up
    this.dispatchEvent(new Event('error'));
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
}

beforeEach(() => {
  FakeSource.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

const connect = () => {
  const counts: number[] = [];
  const onReconnect = vi.fn();
  const stop = connectLive('/api/engagement/videos/v1/live', {
    onCount: (count) => counts.push(count),
    onReconnect,
    EventSourceImpl: FakeSource as unknown as typeof EventSource,
  });
  return { counts, onReconnect, stop };
};

describe('the live like count', () => {
  it('passes counts on and ignores malformed frames', () => {
    const { counts } = connect();
    const source = FakeSource.all[0]!;
    source.open();
    source.likes(3);
    source.likes(-1);
    source.likes('4');
    source.likes(5);
    expect(counts).toEqual([3, 5]);
  });

  it('asks for a refetch when the browser reconnects after a drop', () => {
    const { onReconnect } = connect();
    const source = FakeSource.all[0]!;
    source.open();
    expect(onReconnect).not.toHaveBeenCalled();
    source.drop();
    source.open();
    expect(onReconnect).toHaveBeenCalledTimes(1);
    expect(FakeSource.all).toHaveLength(1);
  });

  it('reopens itself with a growing delay when the server refuses, then refetches', () => {
    const { onReconnect, stop } = connect();
    FakeSource.all[0]!.refuse();
    expect(FakeSource.all[0]!.closed).toBe(true);
    vi.advanceTimersByTime(999);
    expect(FakeSource.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSource.all).toHaveLength(2);
    FakeSource.all[1]!.refuse();
    vi.advanceTimersByTime(1999);
    expect(FakeSource.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    FakeSource.all[2]!.open();
    expect(onReconnect).toHaveBeenCalledTimes(1);
    stop();
    expect(FakeSource.all[2]!.closed).toBe(true);
  });

  it('stops for good when the page goes away', () => {
    const { stop } = connect();
    stop();
    FakeSource.all[0]!.refuse();
    vi.advanceTimersByTime(60_000);
    expect(FakeSource.all).toHaveLength(1);
  });
});
