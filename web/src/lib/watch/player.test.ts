import { describe, expect, test, vi } from 'vitest';
import {
  authorizationFrom,
  createLease,
  levelLabel,
  MIN_RENEW_DELAY_MS,
  renewalDelayMs,
  requestPlayback,
} from './player';
import type { Authorization, Timers } from './player';
import { posterUrl } from './art';

const MINUTE = 60_000;

/** Manual timers and clock: time moves only when the test says so. */
function fakeTime(start = 1_000_000) {
  let now = start;
  let pending: { at: number; run: () => void; id: number }[] = [];
  let nextId = 1;
  const timers: Timers = {
    set: (run, ms) => {
      const id = nextId++;
      pending.push({ at: now + ms, run, id });
      return id;
    },
    clear: (id) => {
      pending = pending.filter((timer) => timer.id !== id);
    },
  };
  return {
    timers,
    now: () => now,
    pending: () => pending.map((timer) => timer.at - now),
    /** Moves the clock and runs what came due (in order). */
    async advance(ms: number) {
      now += ms;
      for (;;) {
        const due = pending.filter((timer) => timer.at <= now).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        pending = pending.filter((timer) => timer !== due);
        due.run();
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

const granted = (expiresAt: number): Authorization => ({
  ok: true,
  grant: { manifestUrl: 'http://site/media/videos/v1/hls/master.m3u8', expiresAt },
});

describe('authorizationFrom', () => {
  test('200 with a manifest and an expiry is a grant', () => {
    const result = authorizationFrom(200, { manifestUrl: '/m.m3u8', expiresAt: '2026-01-01T00:10:00.000Z' });
    expect(result).toEqual({
      ok: true,
      grant: { manifestUrl: '/m.m3u8', expiresAt: Date.parse('2026-01-01T00:10:00Z') },
    });
  });

  test('a 200 of the wrong shape is not trusted', () => {
    expect(authorizationFrom(200, { manifestUrl: 3 })).toEqual({ ok: false, reason: 'unavailable' });
    expect(authorizationFrom(200, { manifestUrl: '/m', expiresAt: 'soon' })).toEqual({
      ok: false,
      reason: 'unavailable',
    });
  });

  test('refusals map to reasons the viewer can read', () => {
    expect(authorizationFrom(401, null)).toEqual({ ok: false, reason: 'signin_required' });
    expect(
      authorizationFrom(402, { error: { code: 'payment_required', details: { reason: 'payment_required' } } }),
    ).toEqual({ ok: false, reason: 'payment_required' });
    expect(authorizationFrom(402, { error: { details: { reason: 'rental_expired' } } })).toEqual({
      ok: false,
      reason: 'rental_expired',
    });
    expect(authorizationFrom(402, 'garbage')).toEqual({ ok: false, reason: 'payment_required' });
    expect(
      authorizationFrom(402, {
        error: { details: { reason: 'not_entitled', rentalEndedAt: '2026-01-03T00:00:00.000Z' } },
      }),
    ).toEqual({ ok: false, reason: 'rental_expired' });
    expect(authorizationFrom(402, { error: { details: { reason: 'not_entitled', rentalEndedAt: null } } })).toEqual({
      ok: false,
      reason: 'payment_required',
    });
    expect(authorizationFrom(404, null)).toEqual({ ok: false, reason: 'not_available' });
    expect(authorizationFrom(409, null)).toEqual({ ok: false, reason: 'not_available' });
    expect(authorizationFrom(403, null)).toEqual({ ok: false, reason: 'forbidden' });
    expect(authorizationFrom(503, null)).toEqual({ ok: false, reason: 'unavailable' });
  });
});

describe('requestPlayback', () => {
  test('posts to the site endpoint for the title, with the session cookie', async () => {
    const fetcher = vi.fn(async () =>
      Response.json({ manifestUrl: '/media/videos/a1/hls/master.m3u8', expiresAt: '2026-01-01T00:00:00Z' }),
    );
    const result = await requestPlayback('a1', fetcher as unknown as typeof fetch);
    expect(result.ok).toBe(true);
    expect(fetcher).toHaveBeenCalledWith(
      '/videos/a1/playback',
      expect.objectContaining({ method: 'POST', credentials: 'same-origin' }),
    );
  });

  test('a network failure is "unavailable", not a crash', async () => {
    const fetcher = vi.fn(async () => {
      throw new TypeError('failed to fetch');
    });
    expect(await requestPlayback('a1', fetcher as unknown as typeof fetch)).toEqual({
      ok: false,
      reason: 'unavailable',
    });
  });
});

describe('renewalDelayMs', () => {
  test('renews at 80 % of the remaining life', () => {
    expect(renewalDelayMs(10 * MINUTE, 0)).toBe(8 * MINUTE);
    expect(renewalDelayMs(1_000_000 + 100_000, 1_000_000)).toBe(80_000);
  });

  test('never in a tight loop, even for a grant that is about to (or did) expire', () => {
    expect(renewalDelayMs(1_000, 0)).toBe(MIN_RENEW_DELAY_MS);
    expect(renewalDelayMs(0, 5_000)).toBe(MIN_RENEW_DELAY_MS);
  });
});

describe('createLease', () => {
  test('renews before the cookies expire, again and again, without stopping', async () => {
    const time = fakeTime();
    const authorize = vi.fn(async () => granted(time.now() + 10 * MINUTE));
    const onStop = vi.fn();
    const lease = createLease({ authorize, onStop, now: time.now, timers: time.timers });
    expect((await lease.start()).ok).toBe(true);
    expect(time.pending()).toEqual([8 * MINUTE]);

    await time.advance(8 * MINUTE - 1);
    expect(authorize).toHaveBeenCalledTimes(1);
    await time.advance(1);
    expect(authorize).toHaveBeenCalledTimes(2);
    expect(lease.grant?.expiresAt).toBe(time.now() + 10 * MINUTE);
    await time.advance(8 * MINUTE);
    expect(authorize).toHaveBeenCalledTimes(3);
    expect(onStop).not.toHaveBeenCalled();
    lease.dispose();
    expect(time.pending()).toEqual([]);
  });

  test('a renewal refused with 402 stops playback once, with the reason', async () => {
    const time = fakeTime();
    const answers: Authorization[] = [granted(time.now() + 10 * MINUTE), { ok: false, reason: 'rental_expired' }];
    const authorize = vi.fn(async () => answers.shift() ?? granted(0));
    const onStop = vi.fn();
    const lease = createLease({ authorize, onStop, now: time.now, timers: time.timers });
    await lease.start();
    await time.advance(8 * MINUTE);
    expect(onStop).toHaveBeenCalledExactlyOnceWith('rental_expired');
    expect(time.pending()).toEqual([]);
    expect(await lease.renew()).toBe(false);
    expect(authorize).toHaveBeenCalledTimes(2);
  });

  test('a transient failure is retried while the current cookies still hold', async () => {
    const time = fakeTime();
    const answers: Authorization[] = [
      granted(time.now() + 10 * MINUTE),
      { ok: false, reason: 'unavailable' },
      granted(time.now() + 20 * MINUTE),
    ];
    const authorize = vi.fn(async () => answers.shift() ?? { ok: false as const, reason: 'unavailable' as const });
    const onStop = vi.fn();
    const lease = createLease({ authorize, onStop, now: time.now, timers: time.timers });
    await lease.start();
    await time.advance(8 * MINUTE);
    expect(authorize).toHaveBeenCalledTimes(2);
    expect(onStop).not.toHaveBeenCalled();
    expect(time.pending()).toEqual([10_000]);
    await time.advance(10_000);
    expect(authorize).toHaveBeenCalledTimes(3);
    expect(onStop).not.toHaveBeenCalled();
  });

  test('a transient failure after the cookies lapsed stops playback', async () => {
    const time = fakeTime();
    const answers: Authorization[] = [granted(time.now() + 10_000)];
    const onStop = vi.fn();
    const lease = createLease({
      authorize: async () => answers.shift() ?? { ok: false, reason: 'unavailable' },
      onStop,
      now: time.now,
      timers: time.timers,
    });
    await lease.start();
    // Due at 8 s: transient, 2 s of cookie left → retry at 9 s; again transient → retry at 10 s.
    await time.advance(9_500);
    expect(onStop).not.toHaveBeenCalled();
    // At 10 s the cookies are gone and the API still cannot be reached: playback stops.
    await time.advance(1_000);
    expect(onStop).toHaveBeenCalledExactlyOnceWith('unavailable');
  });

  test('concurrent renewals (e.g. several 403s at once) share one request', async () => {
    const time = fakeTime();
    let release: () => void = () => undefined;
    let calls = 0;
    const authorize = async (): Promise<Authorization> => {
      calls += 1;
      if (calls > 1) await new Promise<void>((resolve) => (release = resolve));
      return granted(time.now() + 10 * MINUTE);
    };
    const lease = createLease({ authorize, onStop: vi.fn(), now: time.now, timers: time.timers });
    await lease.start();
    const first = lease.renew();
    const second = lease.renew();
    release();
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(calls).toBe(2);
  });

  test('checkOverdue renews at once when a sleeping tab missed the timer', async () => {
    const time = fakeTime();
    const authorize = vi.fn(async () => granted(time.now() + 10 * MINUTE));
    const lease = createLease({
      authorize,
      onStop: vi.fn(),
      now: time.now,
      timers: { set: () => 1, clear: () => undefined },
    });
    await lease.start();
    lease.checkOverdue();
    expect(authorize).toHaveBeenCalledTimes(1);
    time.advance(9 * MINUTE); // the (inert) timer never fired
    lease.checkOverdue();
    await new Promise((resolve) => setImmediate(resolve));
    expect(authorize).toHaveBeenCalledTimes(2);
  });
});

describe('level names', () => {
  test('a level by its height; portrait video by its shorter side', () => {
    expect(levelLabel({ width: 1920, height: 1080, bitrate: 6_000_000 })).toBe('1080p');
    expect(levelLabel({ width: 720, height: 1280, bitrate: 1 })).toBe('720p');
  });
});

describe('art', () => {
  test('posters only when the pipeline made one', () => {
    expect(posterUrl({ videoId: 'abc', posterKey: 'media/videos/abc/poster.jpg' })).toBe(
      '/media/videos/abc/poster.jpg',
    );
    expect(posterUrl({ videoId: 'abc', posterKey: null })).toBeNull();
  });
});
