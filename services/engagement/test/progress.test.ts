import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '#shared/errors.js';
import { engagementHarness } from './support.js';
import type { EngagementHarness } from './support.js';

let h: EngagementHarness;
beforeEach(async () => {
  h = await engagementHarness({ progressWindowMs: 50 });
  for (const id of ['v1', 'v2', 'v3']) await h.publish(id);
  h.watch.grant('alice', 'v1');
  h.watch.grant('alice', 'v2');
});
afterEach(() => h.close());

// Answers are read field by field: their shape is what these tests assert.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const body = async (response: Response) => ({ status: response.status, json: (await response.json()) as Loose });
const report = (positionSeconds: number, durationSeconds = 600) => ({ positionSeconds, durationSeconds });

describe('progress', () => {
  it('keeps the position and answers it back, finished or not', async () => {
    const saved = await body(await h.call('PUT', '/videos/v1/progress', { as: 'alice', body: report(42.5) }));
    expect(saved).toEqual({
      status: 200,
      json: {
        videoId: 'v1',
        positionSeconds: 42.5,
        durationSeconds: 600,
        updatedAt: new Date(h.clock.at).toISOString(),
        finished: false,
        stored: true,
      },
    });
    const read = await body(await h.call('GET', '/videos/v1/progress', { as: 'alice' }));
    expect(read.json.progress).toMatchObject({ positionSeconds: 42.5, finished: false });
    // Another viewer has no position there.
    expect((await body(await h.call('GET', '/videos/v1/progress', { as: 'bob' }))).json).toEqual({ progress: null });
  });

  it('refuses bad positions with 400 and changes nothing', async () => {
    for (const bad of [
      report(-1),
      report(601),
      { positionSeconds: 'ten', durationSeconds: 600 },
      { positionSeconds: 1 },
      report(1, 0),
    ]) {
      const answer = await body(await h.call('PUT', '/videos/v1/progress', { as: 'alice', body: bad }));
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.json.error.code).toBe('invalid_input');
    }
    const notJson = await h.call('PUT', '/videos/v1/progress', {
      as: 'alice',
      raw: '{"positionSeconds":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    const beaconText = await h.call('PUT', '/videos/v1/progress', {
      as: 'alice',
      raw: JSON.stringify(report(5)),
      headers: { 'content-type': 'text/plain' },
    });
    expect(beaconText.status).toBe(415);
    expect((await h.call('PUT', '/videos/NOT AN ID/progress', { as: 'alice', body: report(1) })).status).toBe(400);
    expect((await body(await h.call('GET', '/videos/v1/progress', { as: 'alice' }))).json).toEqual({ progress: null });
  });

  it('answers 401 without a token and 403 for a title the viewer cannot watch, storing nothing', async () => {
    expect((await h.call('PUT', '/videos/v1/progress', { body: report(5) })).status).toBe(401);
    const refused = await body(await h.call('PUT', '/videos/v3/progress', { as: 'alice', body: report(5) }));
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('forbidden');
    expect((await body(await h.call('GET', '/videos/v3/progress', { as: 'alice' }))).json).toEqual({ progress: null });
    expect((await body(await h.call('GET', '/continue-watching', { as: 'alice' }))).json).toEqual({ items: [] });
  });

  it('coalesces a flood of beacons: few writes, the last position kept', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        h.call('PUT', '/videos/v1/progress', { as: 'alice', body: report(index + 1) }).then(body),
      ),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const stored = answers.filter((answer) => answer.json.stored).length;
    // The first goes at once, the last after the window; everything between is superseded.
    expect(stored).toBeLessThanOrEqual(2);
    expect(answers.filter((answer) => !answer.json.stored).length).toBe(40 - stored);
    // The position kept is the one of the last write (the requests race through token checks, so
    // which one arrived last is theirs to settle; the writer's own test pins "the last value wins").
    const read = await body(await h.call('GET', '/videos/v1/progress', { as: 'alice' }));
    const storedPositions = answers.filter((answer) => answer.json.stored).map((answer) => answer.json.positionSeconds);
    expect(storedPositions).toContain(read.json.progress.positionSeconds);
  });

  it('lists unfinished, watchable titles newest first; finished and expired ones drop out', async () => {
    h.watch.grant('alice', 'v3', h.clock.at + 60_000); // a rental ending in a minute
    await h.call('PUT', '/videos/v1/progress', { as: 'alice', body: report(100) });
    h.clock.at += 1_000;
    await h.call('PUT', '/videos/v2/progress', { as: 'alice', body: report(200) });
    h.clock.at += 1_000;
    await h.call('PUT', '/videos/v3/progress', { as: 'alice', body: report(300) });
    const row = await body(await h.call('GET', '/continue-watching', { as: 'alice' }));
    expect(row.json.items.map((item: { videoId: string }) => item.videoId)).toEqual(['v3', 'v2', 'v1']);
    expect(row.json.items[2]).toEqual({
      videoId: 'v1',
      positionSeconds: 100,
      durationSeconds: 600,
      updatedAt: new Date(h.clock.at - 2_000).toISOString(),
    });

    // v2 watched to the end, the rental of v3 runs out.
    h.clock.at += 120_000;
    await h.call('PUT', '/videos/v2/progress', { as: 'alice', body: report(590) });
    const later = await body(await h.call('GET', '/continue-watching', { as: 'alice' }));
    expect(later.json.items.map((item: { videoId: string }) => item.videoId)).toEqual(['v1']);
    // Watching v2 again from the start puts it back, on top.
    h.clock.at += 1_000;
    await h.call('PUT', '/videos/v2/progress', { as: 'alice', body: report(30) });
    const again = await body(await h.call('GET', '/continue-watching', { as: 'alice' }));
    expect(again.json.items.map((item: { videoId: string }) => item.videoId)).toEqual(['v2', 'v1']);
  });

  it('writes reports due together in one transaction when batching is on (standalone)', async () => {
    const batched = await engagementHarness({ progressBatch: 10 });
    try {
      await batched.publish('v1');
      const viewers = Array.from({ length: 25 }, (_, index) => `viewer${index}`);
      for (const viewer of viewers) batched.watch.grant(viewer, 'v1');
      const answers = await Promise.all(
        viewers.map((viewer, index) =>
          batched.call('PUT', '/videos/v1/progress', { as: viewer, body: report(index + 10) }).then(body),
        ),
      );
      expect(answers.every((answer) => answer.status === 200 && answer.json.stored)).toBe(true);
      for (const [index, viewer] of viewers.entries()) {
        const read = await body(await batched.call('GET', '/videos/v1/progress', { as: viewer }));
        expect(read.json.progress.positionSeconds).toBe(index + 10);
      }
    } finally {
      batched.close();
    }
  });

  it('answers positions for a set of titles in one call', async () => {
    await h.call('PUT', '/videos/v1/progress', { as: 'alice', body: report(590) });
    const answer = await body(await h.call('POST', '/progress', { as: 'alice', body: { videoIds: ['v1', 'v2'] } }));
    expect(Object.keys(answer.json)).toEqual(['v1']);
    expect(answer.json.v1).toMatchObject({ finished: true, positionSeconds: 590 });
    expect((await h.call('POST', '/progress', { as: 'alice', body: { videoIds: [] } })).status).toBe(400);
  });

  it('answers 503, storing nothing, when entitlement cannot be asked', async () => {
    const away = await engagementHarness({
      access: {
        decide: async () => {
          throw new AppError('unavailable', 'entitlement away');
        },
      },
    });
    try {
      await away.publish('v1');
      expect((await away.call('PUT', '/videos/v1/progress', { as: 'alice', body: report(5) })).status).toBe(503);
      expect((await body(await away.call('GET', '/videos/v1/progress', { as: 'alice' }))).json).toEqual({
        progress: null,
      });
    } finally {
      away.close();
    }
  });
});

describe('my list', () => {
  it('adds idempotently, lists newest first, removes, and refuses unknown titles', async () => {
    expect((await body(await h.call('PUT', '/videos/v1/list', { as: 'alice' }))).json).toEqual({
      videoId: 'v1',
      inList: true,
    });
    h.clock.at += 1_000;
    await h.call('PUT', '/videos/v2/list', { as: 'alice' });
    h.clock.at += 1_000;
    await h.call('PUT', '/videos/v1/list', { as: 'alice' }); // a repeat keeps its place
    const list = await body(await h.call('GET', '/list', { as: 'alice' }));
    expect(list.json.items.map((entry: { videoId: string }) => entry.videoId)).toEqual(['v2', 'v1']);
    expect((await body(await h.call('GET', '/videos/v2/list', { as: 'alice' }))).json.inList).toBe(true);
    expect((await body(await h.call('GET', '/list', { as: 'bob' }))).json).toEqual({ items: [] });

    expect((await body(await h.call('DELETE', '/videos/v2/list', { as: 'alice' }))).json).toEqual({
      videoId: 'v2',
      inList: false,
    });
    expect((await h.call('DELETE', '/videos/v2/list', { as: 'alice' })).status).toBe(200);
    expect((await h.call('PUT', '/videos/nope/list', { as: 'alice' })).status).toBe(404);
    expect((await h.call('PUT', '/videos/v1/list')).status).toBe(401);
  });

  it('leaves out titles that are no longer published', async () => {
    await h.call('PUT', '/videos/v1/list', { as: 'alice' });
    await h.call('PUT', '/videos/v2/list', { as: 'alice' });
    await h.unpublish('v2');
    const list = await body(await h.call('GET', '/list', { as: 'alice' }));
    expect(list.json.items.map((entry: { videoId: string }) => entry.videoId)).toEqual(['v1']);
  });
});
