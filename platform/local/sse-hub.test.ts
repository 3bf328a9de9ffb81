import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '#shared/errors.js';
import { sseHub } from './sse-hub.js';

const hubs: ReturnType<typeof sseHub>[] = [];
const makeHub = (options: Parameters<typeof sseHub>[0] = {}) => {
  const hub = sseHub(options);
  hubs.push(hub);
  return hub;
};
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
  vi.useRealTimers();
});

/** Reads SSE frames from a response as `{id, event, data}` (comments and `retry:` kept as text). */
function reader(response: Response) {
  const stream = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(): Promise<string> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return frame;
        }
        const { value, done } = await stream.read();
        if (done) throw new Error('stream ended');
        buffer += value;
      }
    },
    cancel: () => stream.cancel(),
  };
}
const fields = (frame: string) => Object.fromEntries(frame.split('\n').map((line) => line.split(': ', 2)));

describe('the SSE hub', () => {
  it('sends the current state first, then each published message, with ids', async () => {
    const hub = makeHub();
    const response = await hub.open('likes/v1', { event: 'likes', current: async () => ({ count: 4 }) });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = reader(response);
    expect(await sse.next()).toBe('retry: 2000');
    const first = fields(await sse.next());
    expect(first).toMatchObject({ event: 'likes', data: '{"count":4}' });
    await hub.publish('likes/v1', { count: 5 });
    await hub.publish('likes/other', { count: 99 });
    const second = fields(await sse.next());
    expect(second).toMatchObject({ event: 'likes', data: '{"count":5}' });
    expect(second.id).not.toBe(first.id);
    expect(hub.connections).toBe(1);
    await sse.cancel();
    expect(hub.connections).toBe(0);
  });

  it('resumes from Last-Event-ID: no repeat when current, the state when behind', async () => {
    const hub = makeHub();
    const keep = reader(await hub.open('likes/v1', { event: 'likes', current: async () => ({ count: 1 }) }));
    await keep.next();
    const { id } = fields(await keep.next());
    const current = vi.fn(async () => ({ count: 1 }));
    const resumed = reader(await hub.open('likes/v1', { event: 'likes', lastEventId: id, current }));
    expect(await resumed.next()).toBe('retry: 2000');
    expect(current).not.toHaveBeenCalled();
    await hub.publish('likes/v1', { count: 2 });
    expect(fields(await resumed.next()).data).toBe('{"count":2}');
    // An id from before that publish, or from another run of the server, gets the state again.
    const behind = reader(
      await hub.open('likes/v1', { event: 'likes', lastEventId: id, current: async () => ({ count: 2 }) }),
    );
    await behind.next();
    expect(fields(await behind.next()).data).toBe('{"count":2}');
    const otherRun = reader(
      await hub.open('likes/v1', { event: 'likes', lastEventId: 'zz.1', current: async () => ({ count: 2 }) }),
    );
    await otherRun.next();
    expect(fields(await otherRun.next()).data).toBe('{"count":2}');
  });

  it('refuses a malformed Last-Event-ID with invalid_input', async () => {
    const hub = makeHub();
    for (const lastEventId of ['nonsense', '1.2.3', 'abc.', '<script>.1', 'a'.repeat(13) + '.1']) {
      const opening = hub.open('likes/v1', { event: 'likes', lastEventId, current: async () => ({ count: 0 }) });
      await expect(opening, lastEventId).rejects.toSatisfy(
        (error) => error instanceof AppError && error.code === 'invalid_input',
      );
    }
    expect(hub.connections).toBe(0);
  });

  it('refuses connections past the cap with 503 and Retry-After', async () => {
    const hub = makeHub({ maxConnections: 2, refusalRetryAfterSeconds: 7 });
    const open = () => hub.open('likes/v1', { event: 'likes', current: async () => ({ count: 0 }) });
    const a = await open();
    await open();
    const refused = await open();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(await refused.json()).toMatchObject({ error: { code: 'unavailable' } });
    await a.body!.cancel();
    expect((await open()).status).toBe(200);
  });

  it('keeps only the newest frame for a reader that does not read (bounded memory)', async () => {
    const hub = makeHub();
    const response = await hub.open('likes/v1', { event: 'likes', current: async () => ({ count: 0 }) });
    for (let count = 1; count <= 10_000; count++) await hub.publish('likes/v1', { count });
    const sse = reader(response);
    // The one chunk queued before the flood, then straight to the newest state: 10,000 frames cost one slot.
    expect(await sse.next()).toBe('retry: 2000');
    expect(fields(await sse.next()).data).toBe('{"count":10000}');
    await hub.publish('likes/v1', { count: 10_001 });
    expect(fields(await sse.next()).data).toBe('{"count":10001}');
  });

  it('sends heartbeats and drops clients that went away', async () => {
    vi.useFakeTimers();
    const hub = makeHub({ heartbeatMs: 1000 });
    const controller = new AbortController();
    const sse = reader(
      await hub.open('likes/v1', { event: 'likes', current: async () => ({ count: 0 }), signal: controller.signal }),
    );
    await sse.next();
    await sse.next();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await sse.next()).toBe(': keep-alive');
    controller.abort();
    expect(hub.connections).toBe(0);
  });
});
