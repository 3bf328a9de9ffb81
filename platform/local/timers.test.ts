import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineEvent } from '#shared/events/define.js';
import type { EventEnvelope } from '#shared/events/define.js';
import { z } from 'zod';
import { devClock } from './dev-clock.js';
import { sqliteTimers } from './timers.js';
import type { LocalTimers } from './timers.js';

const Ping = defineEvent('notification', 'Ping', z.object({ n: z.number() }));

describe('sqliteTimers', () => {
  const open: LocalTimers[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((timers) => timers.stop().catch(() => undefined)));
  });

  function setup(now: () => number, file = join(mkdtempSync(join(tmpdir(), 'kinema-timers-')), 'timers.db')) {
    const fired: { name: number; at: number }[] = [];
    const timers = sqliteTimers({
      file,
      now,
      fire: async (events: EventEnvelope[]) => {
        for (const event of events) fired.push({ name: Ping.parse(event).detail.n, at: now() });
      },
    });
    open.push(timers);
    return { timers, fired, file };
  }

  it('fires on time in real time, once, and deletes the timer', async () => {
    const { timers, fired } = setup(Date.now);
    timers.start();
    const due = Date.now() + 150;
    await timers.at('a', due, Ping.create({ n: 1 }, Date.now()));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(fired).toHaveLength(1);
    expect(fired[0]!.at - due).toBeGreaterThanOrEqual(0);
    expect(fired[0]!.at - due).toBeLessThan(100);
    expect(timers.pending()).toBe(0);
  });

  it('is idempotent by name: the same name replaces the time and the event; cancel deletes', async () => {
    let now = 1_000;
    const { timers, fired } = setup(() => now);
    timers.start();
    await timers.at('x', 5_000, Ping.create({ n: 1 }, now));
    await timers.at('x', 9_000, Ping.create({ n: 2 }, now));
    await timers.at('y', 6_000, Ping.create({ n: 3 }, now));
    expect(timers.pending()).toBe(2);
    await timers.cancel('y');
    await timers.cancel('never-made');
    now = 8_000;
    await timers.drain();
    expect(fired).toEqual([]);
    now = 9_000;
    await timers.drain();
    expect(fired.map((f) => f.name)).toEqual([2]);
    await expect(timers.at('bad name/with slash', 1, Ping.create({ n: 1 }, now))).rejects.toThrow(/schedule name/);
  });

  it('survives a restart and fires at once what came due while it was down', async () => {
    let now = 1_000;
    const first = setup(() => now);
    await first.timers.at('due-while-down', 2_000, Ping.create({ n: 1 }, now));
    await first.timers.at('later', 60_000, Ping.create({ n: 2 }, now));
    await first.timers.stop();
    now = 10_000;
    const second = setup(() => now, first.file);
    expect(second.timers.pending()).toBe(2);
    second.timers.start();
    await second.timers.drain();
    expect(second.fired.map((f) => f.name)).toEqual([1]);
    expect(second.timers.pending()).toBe(1);
  });

  it('moves with the dev clock: advancing past a due time fires it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinema-timers-'));
    const clock = devClock({ file: join(dir, 'clock.json') });
    const { timers, fired } = setup(() => clock.now(), join(dir, 'timers.db'));
    clock.onAdvance(() => timers.wake());
    timers.start();
    await timers.at('in-43h', clock.now() + 43 * 3600_000, Ping.create({ n: 43 }, clock.now()));
    clock.advance(43 * 3600_000 - 60_000);
    await timers.drain();
    expect(fired).toEqual([]);
    clock.advance(60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fired.map((f) => f.name)).toEqual([43]);
  });

  it('keeps a timer whose firing failed and tries it again', async () => {
    let now = 1_000;
    let fail = true;
    const file = join(mkdtempSync(join(tmpdir(), 'kinema-timers-')), 'timers.db');
    const fired: string[] = [];
    const timers = sqliteTimers({
      file,
      now: () => now,
      retryMs: 500,
      fire: async (events) => {
        if (fail) throw new Error('bus down');
        fired.push(...events.map((e) => e.id));
      },
    });
    open.push(timers);
    await timers.at('a', 1_000, Ping.create({ n: 1 }, now, 'event-a'));
    await timers.drain();
    expect(timers.pending()).toBe(1);
    fail = false;
    now = 1_400;
    await timers.drain();
    expect(fired).toEqual([]);
    now = 1_500;
    await timers.drain();
    expect(fired).toEqual(['event-a']);
  });
});
