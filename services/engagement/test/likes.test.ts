import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sseHub } from '#platform/local/sse-hub.js';
import { LikeCountChanged } from '#shared/events/engagement.js';
import { engagementHarness } from './support.js';
import type { EngagementHarness } from './support.js';

let h: EngagementHarness;
beforeEach(async () => {
  h = await engagementHarness();
  await h.publish('v1');
});
afterEach(() => h.close());

const body = async (response: Response) => ({ status: response.status, json: (await response.json()) as unknown });

describe('likes over HTTP', () => {
  it('likes, repeats idempotently, unlikes, and never goes negative', async () => {
    expect(await body(await h.call('GET', '/videos/v1/likes'))).toEqual({ status: 200, json: { count: 0 } });
    expect(await body(await h.call('PUT', '/videos/v1/like', { as: 'alice' }))).toEqual({
      status: 200,
      json: { count: 1, liked: true },
    });
    // A double click, a retry: the same answer, no second count.
    expect((await body(await h.call('PUT', '/videos/v1/like', { as: 'alice' }))).json).toEqual({
      count: 1,
      liked: true,
    });
    expect((await body(await h.call('PUT', '/videos/v1/like', { as: 'bob' }))).json).toEqual({ count: 2, liked: true });
    expect((await body(await h.call('GET', '/videos/v1/likes', { as: 'bob' }))).json).toEqual({
      count: 2,
      liked: true,
    });
    expect((await body(await h.call('GET', '/videos/v1/likes', { as: 'carol' }))).json).toEqual({
      count: 2,
      liked: false,
    });
    expect((await body(await h.call('DELETE', '/videos/v1/like', { as: 'alice' }))).json).toEqual({
      count: 1,
      liked: false,
    });
    expect((await body(await h.call('DELETE', '/videos/v1/like', { as: 'alice' }))).json).toEqual({
      count: 1,
      liked: false,
    });
    expect((await body(await h.call('DELETE', '/videos/v1/like', { as: 'carol' }))).json).toEqual({
      count: 1,
      liked: false,
    });
  });

  it('commits one LikeCountChanged per effective change, in the same transaction (the outbox)', async () => {
    await h.call('PUT', '/videos/v1/like', { as: 'alice' });
    await h.call('PUT', '/videos/v1/like', { as: 'alice' });
    await h.call('DELETE', '/videos/v1/like', { as: 'alice' });
    await h.call('DELETE', '/videos/v1/like', { as: 'alice' });
    const events = h.table.outbox.pending(100).map((row) => LikeCountChanged.parse(row.envelope).detail);
    expect(events).toEqual([
      { videoId: 'v1', userId: 'alice', liked: true, delta: 1, region: 'local' },
      { videoId: 'v1', userId: 'alice', liked: false, delta: -1, region: 'local' },
    ]);
  });

  it('ends on the exact count after a burst of concurrent toggles', async () => {
    const viewers = Array.from({ length: 40 }, (_, index) => `viewer${index}`);
    const lastLiked = new Map<string, boolean>();
    await Promise.all(
      viewers.map(async (viewer, index) => {
        for (let step = 0; step < 5; step++) {
          const like = (index + step) % 3 !== 0;
          const response = await h.call(like ? 'PUT' : 'DELETE', '/videos/v1/like', { as: viewer });
          expect(response.status).toBe(200);
          lastLiked.set(viewer, like);
        }
      }),
    );
    const expected = [...lastLiked.values()].filter(Boolean).length;
    expect((await body(await h.call('GET', '/videos/v1/likes'))).json).toEqual({ count: expected });
  });

  it('answers a grid in one call, leaving out unknown and unpublished ids', async () => {
    await h.publish('v2');
    await h.publish('v3');
    await h.unpublish('v3');
    await h.call('PUT', '/videos/v2/like', { as: 'alice' });
    const anonymous = await body(
      await h.call('POST', '/likes', { body: { videoIds: ['v1', 'v2', 'v3', 'nope', 'v2'] } }),
    );
    expect(anonymous).toEqual({ status: 200, json: { v1: { count: 0 }, v2: { count: 1 } } });
    const signedIn = await body(await h.call('POST', '/likes', { as: 'alice', body: { videoIds: ['v1', 'v2'] } }));
    expect(signedIn.json).toEqual({ v1: { count: 0, liked: false }, v2: { count: 1, liked: true } });
  });

  it('publishes an OpenAPI document built from the same schemas', async () => {
    const doc = (await (await h.call('GET', '/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/continue-watching',
      '/likes',
      '/list',
      '/progress',
      '/videos/{id}/like',
      '/videos/{id}/likes',
      '/videos/{id}/list',
      '/videos/{id}/live',
      '/videos/{id}/progress',
    ]);
  });
});

describe('bad input and abuse', () => {
  it('refuses signed-out writes with 401 and changes nothing', async () => {
    const response = await body(await h.call('PUT', '/videos/v1/like'));
    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ error: { code: 'unauthorized' } });
    expect(h.table.outbox.pending(10)).toEqual([]);
  });

  it('answers 404 for unknown, unpublished and deleted videos, and bad ids with 400', async () => {
    await h.publish('v2');
    await h.unpublish('v2');
    await h.publish('v3');
    await h.remove('v3');
    for (const id of ['unknown', 'v2', 'v3']) {
      for (const [method, path] of [
        ['PUT', `/videos/${id}/like`],
        ['DELETE', `/videos/${id}/like`],
        ['GET', `/videos/${id}/likes`],
        ['GET', `/videos/${id}/live`],
      ] as const) {
        const response = await body(await h.call(method, path, { as: 'alice' }));
        expect(response, `${method} ${path}`).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
      }
    }
    expect((await h.call('PUT', '/videos/Bad..Id/like', { as: 'alice' })).status).toBe(400);
    expect(h.table.outbox.pending(10)).toEqual([]);
  });

  it('a like racing an unpublish loses cleanly: 404, no count, no event', async () => {
    await h.unpublish('v1');
    expect((await h.call('PUT', '/videos/v1/like', { as: 'alice' })).status).toBe(404);
    await h.publish('v1');
    expect((await body(await h.call('GET', '/videos/v1/likes'))).json).toEqual({ count: 0 });
  });

  it('refuses malformed batch bodies with 400 invalid_input', async () => {
    for (const payload of [{}, { videoIds: [] }, { videoIds: ['../x'] }, { videoIds: Array(101).fill('v1') }]) {
      const response = await body(await h.call('POST', '/likes', { body: payload }));
      expect(response, JSON.stringify(payload).slice(0, 40)).toMatchObject({
        status: 400,
        json: { error: { code: 'invalid_input' } },
      });
    }
    const broken = await h.app.request('/likes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"videoIds": [',
    });
    expect(broken.status).toBe(400);
  });

  it('slows a flood from one account with 429 and Retry-After, not others', async () => {
    const limited = await engagementHarness({ rateLimit: { burst: 3, perSecond: 1 } });
    try {
      await limited.publish('v1');
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.call('PUT', '/videos/v1/like', { as: 'flood' })).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const refused = await limited.call('PUT', '/videos/v1/like', { as: 'flood' });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ error: { code: 'too_many_requests' } });
      expect((await limited.call('PUT', '/videos/v1/like', { as: 'calm' })).status).toBe(200);
      limited.clock.at += 1000;
      expect((await limited.call('DELETE', '/videos/v1/like', { as: 'flood' })).status).toBe(200);
    } finally {
      limited.close();
    }
  });

  it('answers /live with 404 where no hub is wired (AWS: browsers use AppSync Events)', async () => {
    const response = await body(await h.call('GET', '/videos/v1/live'));
    expect(response).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
  });
});

describe('catalog projection', () => {
  it('is idempotent and ignores events older than what it knows; deletion is final', async () => {
    const { VideoPublished, VideoUnpublished } = await import('#shared/events/catalog.js');
    const { videoFacts } = await import('./support.js');
    const late = VideoUnpublished.create({ videoId: 'v9' }, h.clock.at - 10_000);
    const published = VideoPublished.create(videoFacts('v9'), h.clock.at);
    await h.deliverEvent(published);
    await h.deliverEvent(late); // older than the publication: changes nothing
    expect((await h.call('GET', '/videos/v9/likes')).status).toBe(200);
    expect(await h.deliverEvent(published)).toBe('duplicate');
    await h.remove('v9');
    await h.deliverEvent(VideoPublished.create(videoFacts('v9'), h.clock.at + 60_000));
    expect((await h.call('GET', '/videos/v9/likes')).status).toBe(404);
  });
});

describe('live fan-out from the event', () => {
  it('publishes the exact count read at flush time on likes/<videoId>', async () => {
    await h.call('PUT', '/videos/v1/like', { as: 'alice' });
    await h.call('PUT', '/videos/v1/like', { as: 'bob' });
    await h.drainOutbox();
    expect(h.published.at(-1)).toEqual({ channel: 'likes/v1', message: { count: 2 } });
    // Leading update plus one trailing update: two events, at most two publishes, the last exact.
    expect(h.published.length).toBeLessThanOrEqual(2);
  });
});

describe('the live stream (standalone hub)', () => {
  it('streams the count, then each like that the event fans out', async () => {
    const hub = sseHub();
    const live = await engagementHarness({ live: hub, realtime: hub });
    try {
      await live.publish('v1');
      await live.call('PUT', '/videos/v1/like', { as: 'alice' });
      const response = await live.call('GET', '/videos/v1/live');
      expect(response.status).toBe(200);
      const stream = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const until = async (needle: string) => {
        while (!text.includes(needle)) text += (await stream.read()).value ?? '';
      };
      await until('data: {"count":1}');
      await live.call('PUT', '/videos/v1/like', { as: 'bob' });
      await live.drainOutbox();
      await until('data: {"count":2}');
      expect(text).toMatch(/event: likes\ndata: \{"count":2\}/);
      await stream.cancel();
      expect(hub.connections).toBe(0);
      const malformed = await live.call('GET', '/videos/v1/live', { headers: { 'last-event-id': 'garbage' } });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ error: { code: 'invalid_input' } });
    } finally {
      hub.close();
      live.close();
    }
  });
});
