import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { AppError } from '#shared/errors.js';
import { cachedAccess, entitlementAccess } from './watch-access.js';
import type { WatchAccess } from './watch-access.js';

const viewer = { userId: 'alice', authorization: 'Bearer token-of-alice' };

/** Answers as entitlement's `POST /access` does, and records what it was sent. */
function entitlementDouble(status = 200) {
  const seen: { authorization: string | undefined; videoIds: string[] }[] = [];
  const app = new Hono();
  app.post('/api/entitlement/access', async (c) => {
    const { videoIds } = await c.req.json<{ videoIds: string[] }>();
    seen.push({ authorization: c.req.header('authorization'), videoIds });
    if (status !== 200) return c.json({ error: { code: 'internal', message: 'boom' } }, status as 500);
    return c.json(
      Object.fromEntries(
        videoIds.map((id) => [
          id,
          id.startsWith('rent')
            ? { canWatch: true, reason: 'rental', expiresAt: '2030-01-01T00:01:00.000Z' }
            : {
                canWatch: id.startsWith('ok'),
                reason: id.startsWith('ok') ? 'subscription' : 'not_entitled',
                expiresAt: null,
              },
        ]),
      ),
    );
  });
  return { fetch: (request: Request) => Promise.resolve(app.fetch(request)), seen };
}

describe('entitlementAccess', () => {
  it('asks as the viewer, in batches of 100, and reads the answer', async () => {
    const double = entitlementDouble();
    const access = entitlementAccess({ baseUrl: 'http://api.test/api/entitlement', fetch: double.fetch });
    const ids = ['ok1', 'no1', 'rent1', ...Array.from({ length: 150 }, (_, index) => `ok-${index}`)];
    const decisions = await access.decide(viewer, ids);
    expect(double.seen.map((call) => call.videoIds.length)).toEqual([100, 53]);
    expect(double.seen[0]?.authorization).toBe('Bearer token-of-alice');
    expect(decisions.ok1).toEqual({ canWatch: true, expiresAt: null });
    expect(decisions.no1).toEqual({ canWatch: false, expiresAt: null });
    expect(decisions.rent1).toEqual({ canWatch: true, expiresAt: Date.UTC(2030, 0, 1, 0, 1) });
  });

  it('turns a failing or unreachable entitlement into 503 unavailable', async () => {
    const failing = entitlementAccess({
      baseUrl: 'http://api.test/api/entitlement',
      fetch: entitlementDouble(500).fetch,
    });
    await expect(failing.decide(viewer, ['ok1'])).rejects.toMatchObject({ code: 'unavailable' });
    const away = entitlementAccess({
      baseUrl: 'http://api.test/api/entitlement',
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    await expect(away.decide(viewer, ['ok1'])).rejects.toBeInstanceOf(AppError);
  });
});

describe('cachedAccess', () => {
  function counting(decisions: Record<string, { canWatch: boolean; expiresAt: number | null }>) {
    const asked: string[][] = [];
    const inner: WatchAccess = {
      async decide(_viewer, ids) {
        asked.push([...ids]);
        return Object.fromEntries(ids.map((id) => [id, decisions[id] ?? { canWatch: false, expiresAt: null }]));
      },
    };
    return { inner, asked };
  }

  it('reuses a decision for a minute, and only asks for what it does not know', async () => {
    let now = 0;
    const { inner, asked } = counting({ a: { canWatch: true, expiresAt: null } });
    const access = cachedAccess(inner, { now: () => now });
    await access.decide(viewer, ['a', 'b']);
    await access.decide(viewer, ['a', 'b']);
    now = 59_999;
    expect(await access.decide(viewer, ['a', 'c'])).toEqual({
      a: { canWatch: true, expiresAt: null },
      c: { canWatch: false, expiresAt: null },
    });
    now = 60_000;
    await access.decide(viewer, ['a']);
    expect(asked).toEqual([['a', 'b'], ['c'], ['a']]);
    // Another viewer never gets alice's answers.
    await access.decide({ userId: 'bob', authorization: 'Bearer b' }, ['a']);
    expect(asked.at(-1)).toEqual(['a']);
  });

  it('never trusts a rental past its end', async () => {
    let now = 0;
    const { inner, asked } = counting({ r: { canWatch: true, expiresAt: 10_000 } });
    const access = cachedAccess(inner, { now: () => now });
    await access.decide(viewer, ['r']);
    now = 9_999;
    await access.decide(viewer, ['r']);
    now = 10_000;
    await access.decide(viewer, ['r']);
    expect(asked).toHaveLength(2);
  });
});
