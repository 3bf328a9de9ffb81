import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventEnvelope } from '#shared/events/define.js';
import { subscribe } from '#shared/events/subscribe.js';
import type { Subscription } from '#shared/ports/bus.js';
import { CrashTested, crashFiles, crashSubscription } from './crash-fixture-subscription.js';
import { createDispatcher, exponentialBackoff, type Dispatcher, type DispatcherOptions } from './dispatcher.js';
import { sqliteTable, type SqliteTable } from './sqlite-table.js';

const VideoPublished = defineEvent('catalog', 'DispatcherTestPublished', z.object({ videoId: z.string() }));
const VideoDeleted = defineEvent('catalog', 'DispatcherTestDeleted', z.object({ videoId: z.string() }));
const LikeAdded = defineEvent('engagement', 'DispatcherTestPublished', z.object({ videoId: z.string() }));

let dir: string;
let clock: number;
const open: { close(): void }[] = [];
const dispatchers: Dispatcher[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kinema-dispatcher-'));
  clock = Date.now();
});
afterEach(async () => {
  for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop();
  for (const table of open.splice(0)) table.close();
  rmSync(dir, { recursive: true, force: true });
});

function table(name: string): SqliteTable {
  const created = sqliteTable({ file: join(dir, `${name}.db`) });
  open.push(created);
  return created;
}

function dispatcher(
  options: Partial<DispatcherOptions> & Pick<DispatcherOptions, 'sources' | 'subscriptions'>,
): Dispatcher {
  const created = createDispatcher({ file: join(dir, 'bus.db'), now: () => clock, ...options });
  dispatchers.push(created);
  return created;
}

/** A subscription that records what it saw and can be told to fail. */
function recorder(name: string, event: EventDefinition<string, typeof VideoPublished.schema> = VideoPublished) {
  const seen: string[] = [];
  let failures = 0;
  const subscription = subscribe(name, event, async (detail) => {
    if (failures > 0) {
      failures--;
      throw new Error(`${name} is down`);
    }
    seen.push(detail.videoId);
  });
  return { subscription, seen, failNext: (times: number) => void (failures = times) };
}

describe('dispatcher', () => {
  it('delivers committed events to matching subscriptions only (exact source + detail-type)', async () => {
    const catalog = table('catalog');
    const inbox = table('inbox');
    const published = recorder('test.published');
    const alsoPublished = recorder('test.published-too');
    const deleted = recorder('test.deleted', VideoDeleted);
    const likes = recorder('test.likes', LikeAdded);
    const bus = dispatcher({
      sources: [{ name: 'catalog', table: catalog }],
      subscriptions: [published, alsoPublished, deleted, likes].map(({ subscription }) => ({ subscription, inbox })),
    });
    await catalog.transact([{ put: { pk: 'video#v1', sk: 'meta' } }], {
      events: [VideoPublished.create({ videoId: 'v1' }, clock), VideoDeleted.create({ videoId: 'v2' }, clock)],
    });
    await bus.drain();
    expect(published.seen).toEqual(['v1']);
    expect(alsoPublished.seen).toEqual(['v1']);
    expect(deleted.seen).toEqual(['v2']);
    expect(likes.seen).toEqual([]); // same detail-type, other source
    expect(catalog.outbox.pending(10)).toEqual([]);
    await bus.drain();
    expect(published.seen).toEqual(['v1']);
  });

  it('drops a redelivered event through the inbox', async () => {
    const inbox = table('inbox');
    const published = recorder('test.published');
    const subscriptions = [{ subscription: published.subscription, inbox }];
    const event = VideoPublished.create({ videoId: 'v1' }, clock);
    const first = dispatcher({ sources: [], subscriptions });
    await first.publish([event]);
    await first.drain();
    // Another delivery table (as after losing it) sends the same event again: the inbox says no.
    const second = dispatcher({ file: join(dir, 'bus-2.db'), sources: [], subscriptions });
    await second.publish([event]);
    await second.drain();
    expect(published.seen).toEqual(['v1']);
    expect(await inbox.get({ pk: 'inbox#test.published', sk: event.id })).toBeDefined();
  });

  it('retries with exponential back-off, then succeeds', async () => {
    const inbox = table('inbox');
    const published = recorder('test.published');
    published.failNext(2);
    const bus = dispatcher({ sources: [], subscriptions: [{ subscription: published.subscription, inbox }] });
    await bus.publish([VideoPublished.create({ videoId: 'v1' }, clock)]);
    await bus.drain(); // attempt 1 fails; next in 1 s
    clock += 999;
    await bus.drain();
    expect(published.seen).toEqual([]);
    clock += 1;
    await bus.drain(); // attempt 2 fails; next in 2 s
    clock += 1999;
    await bus.drain();
    expect(published.seen).toEqual([]);
    clock += 1;
    await bus.drain(); // attempt 3 succeeds
    expect(published.seen).toEqual(['v1']);
    expect(bus.deadLetters()).toEqual([]);
    expect([1, 2, 3, 4, 9, 20].map(exponentialBackoff)).toEqual([1000, 2000, 4000, 8000, 256_000, 300_000]);
  });

  it('dead-letters after maxAttempts with the last error, and redrives', async () => {
    const inbox = table('inbox');
    const published = recorder('test.published');
    const other = recorder('test.other');
    published.failNext(3);
    const bus = dispatcher({
      sources: [],
      subscriptions: [published, other].map(({ subscription }) => ({ subscription, inbox })),
      maxAttempts: 3,
      backoff: () => 0,
    });
    const event = VideoPublished.create({ videoId: 'v1' }, clock);
    await bus.publish([event]);
    await bus.drain();
    expect(other.seen).toEqual(['v1']); // no cross-talk: the healthy subscription got it at once
    const [dead, ...rest] = bus.deadLetters();
    expect(rest).toEqual([]);
    expect(dead).toMatchObject({
      subscription: 'test.published',
      envelope: event,
      attempts: 3,
      error: 'test.published is down',
    });
    expect(() => bus.redrive('999')).toThrow(expect.objectContaining({ code: 'not_found' }));
    bus.redrive(dead!.id);
    await bus.drain();
    expect(published.seen).toEqual(['v1']);
    expect(other.seen).toEqual(['v1']);
    expect(bus.deadLetters()).toEqual([]);
    expect(() => bus.redrive(dead!.id)).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('rejects invalid envelopes on publish and refuses duplicate subscription names', async () => {
    const inbox = table('inbox');
    const published = recorder('test.published');
    const bus = dispatcher({ sources: [], subscriptions: [{ subscription: published.subscription, inbox }] });
    await expect(bus.publish([{ id: 'x' } as unknown as EventEnvelope])).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(() =>
      createDispatcher({
        file: ':memory:',
        sources: [],
        subscriptions: [published.subscription, published.subscription].map((subscription) => ({
          subscription,
          inbox,
        })),
        now: () => clock,
      }),
    ).toThrow(/two subscriptions/);
  });

  it('loses nothing when it dies between relaying and marking relayed', async () => {
    const catalog = table('catalog');
    const inbox = table('inbox');
    const published = recorder('test.published');
    let failMark = true;
    const flaky: SqliteTable = {
      ...catalog,
      outbox: {
        ...catalog.outbox,
        markRelayed(seqs) {
          if (failMark) throw new Error('crashed before marking');
          catalog.outbox.markRelayed(seqs);
        },
      },
    };
    const bus = dispatcher({
      sources: [{ name: 'catalog', table: flaky }],
      subscriptions: [{ subscription: published.subscription, inbox }],
    });
    await catalog.transact([], { events: [VideoPublished.create({ videoId: 'v1' }, clock)] });
    await bus.drain();
    expect(catalog.outbox.pending(10)).toHaveLength(1);
    failMark = false;
    await bus.drain();
    expect(catalog.outbox.pending(10)).toEqual([]);
    expect(published.seen).toEqual(['v1']);
  });

  it('never runs two passes at once', async () => {
    const inbox = table('inbox');
    let active = 0;
    let calls = 0;
    const slow: Subscription = subscribe('test.slow', VideoPublished, async () => {
      calls++;
      active++;
      expect(active).toBe(1);
      await new Promise((done) => setTimeout(done, 30));
      active--;
    });
    const bus = dispatcher({ sources: [], subscriptions: [{ subscription: slow, inbox }], pollMs: 5 });
    await bus.publish([VideoPublished.create({ videoId: 'v1' }, clock)]);
    bus.start();
    await Promise.all([bus.drain(), bus.drain(), bus.drain()]);
    await new Promise((done) => setTimeout(done, 50));
    expect(calls).toBe(1);
  });

  it('wakes on a commit when started, and polls for commits of other connections', async () => {
    const catalog = table('catalog');
    const inbox = table('inbox');
    const delivered: string[] = [];
    let arrived: (videoId: string) => void = () => {};
    const subscription = subscribe('test.live', VideoPublished, async ({ videoId }) => {
      delivered.push(videoId);
      arrived(videoId);
    });
    const next = () => new Promise<string>((resolve) => (arrived = resolve));
    const bus = dispatcher({
      sources: [{ name: 'catalog', table: catalog }],
      subscriptions: [{ subscription, inbox }],
      pollMs: 50,
    });
    bus.start();
    let arrival = next();
    const started = performance.now();
    await catalog.transact([], { events: [VideoPublished.create({ videoId: 'v1' }, clock)] });
    expect(await arrival).toBe('v1');
    expect(performance.now() - started).toBeLessThan(1000);
    const otherConnection = sqliteTable({ file: join(dir, 'catalog.db') });
    open.push(otherConnection);
    arrival = next();
    await otherConnection.transact([], { events: [VideoPublished.create({ videoId: 'v2' }, clock)] });
    expect(await arrival).toBe('v2');
    await bus.stop();
    await expect(bus.drain()).rejects.toThrow(/stopped/);
    expect(delivered).toEqual(['v1', 'v2']);
  });
});

type CrashPoint = 'commit' | 'relay' | 'handled';

describe('dispatcher after a real crash (child process killed with SIGKILL)', () => {
  const fixture = fileURLToPath(new URL('./crash-fixture.ts', import.meta.url));
  const root = fileURLToPath(new URL('../../', import.meta.url));

  function crashAt(point: CrashPoint, at: string, eventId: string): Promise<NodeJS.Signals | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, point, at, eventId], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code, signal) => (signal ? resolve(signal) : reject(new Error(`exit ${code}: ${stderr}`))));
    });
  }

  async function recoverAndCount(at: string, eventId: string): Promise<string[]> {
    const files = crashFiles(at);
    const source = sqliteTable({ file: files.source });
    const inbox = sqliteTable({ file: files.inbox });
    open.push(source, inbox);
    expect(await source.get({ pk: 'order#1', sk: 'meta' })).toEqual({ pk: 'order#1', sk: 'meta', state: 'placed' });
    const bus = createDispatcher({
      file: files.bus,
      sources: [{ name: 'source', table: source }],
      subscriptions: [{ subscription: crashSubscription(at), inbox }],
      now: Date.now,
    });
    dispatchers.push(bus);
    await bus.drain();
    await bus.drain();
    expect(source.outbox.pending(10)).toEqual([]);
    expect(bus.deadLetters()).toEqual([]);
    expect(await inbox.get({ pk: 'inbox#crash.test', sk: eventId })).toBeDefined();
    return readFileSync(files.handled, 'utf8').trim().split('\n');
  }

  // commit: right after the commit; relay: after relaying, before marking the outbox; handled: after
  // the handler and its inbox mark, before marking the delivery done. The children run in parallel
  // (each in its own folder) because starting tsx is most of the cost.
  it('delivers exactly once when killed at commit, relay or handled', async () => {
    const points: CrashPoint[] = ['commit', 'relay', 'handled'];
    const folders = points.map((point) => {
      const folder = join(dir, point);
      mkdirSync(folder);
      return folder;
    });
    const signals = await Promise.all(points.map((point, n) => crashAt(point, folders[n]!, `crash-${point}`)));
    expect(signals).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
    for (const [n, point] of points.entries()) {
      const folder = folders[n]!;
      expect(existsSync(crashFiles(folder).handled)).toBe(point === 'handled');
      expect(await recoverAndCount(folder, `crash-${point}`)).toEqual([`crash-${point} 1`]);
    }
    expect(CrashTested.matches({ source: 'kinema.catalog', 'detail-type': 'CrashTested' })).toBe(true);
  }, 60_000);
});
