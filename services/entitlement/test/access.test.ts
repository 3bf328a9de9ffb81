import { describe, expect, it } from 'vitest';
import { decidePlayback, PLAYBACK_COOKIE_TTL_MS, playbackCookieExpiry } from '../src/domain/access.js';
import type { PlaybackDecision } from '../src/domain/access.js';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0, 250);

describe('decidePlayback', () => {
  it('lets an admin play any title, with no end of its own', () => {
    expect(decidePlayback({ principal: { userId: 'a', roles: ['admin'] }, videoId: 'v1', now: NOW })).toEqual({
      allowed: true,
      reason: 'admin',
      until: undefined,
    });
  });

  it('refuses everyone else without store facts: an unknown title, no rights', () => {
    expect(decidePlayback({ principal: { userId: 'b', roles: ['viewer'] }, videoId: 'v1', now: NOW })).toEqual({
      allowed: false,
      reason: 'not_found',
      until: undefined,
    });
    const video = { published: true, deleted: false, freePreview: false };
    expect(decidePlayback({ principal: { userId: 'b', roles: ['viewer'] }, videoId: 'v1', now: NOW, video })).toEqual({
      allowed: false,
      reason: 'not_entitled',
      until: undefined,
    });
    expect(decidePlayback({ principal: { userId: 'c', roles: [] }, videoId: 'v1', now: NOW }).allowed).toBe(false);
  });
});

describe('playbackCookieExpiry', () => {
  const open: PlaybackDecision = { allowed: true, reason: 'admin', until: undefined };

  it('is now + 10 minutes by default, in whole seconds rounded down', () => {
    expect(PLAYBACK_COOKIE_TTL_MS).toBe(600_000);
    expect(playbackCookieExpiry(open, NOW)).toBe(Math.floor(NOW / 1000) + 600);
    expect(playbackCookieExpiry(open, NOW, 30_000)).toBe(Math.floor(NOW / 1000) + 30);
  });

  it('steps a TTL-bound expiry to 10 seconds so viewers of a title share one signature', () => {
    const at = NOW + 7_345;
    const expiry = playbackCookieExpiry(open, at)!;
    expect(expiry % 10).toBe(0);
    expect(expiry * 1000).toBeLessThanOrEqual(at + 600_000);
    expect(expiry * 1000).toBeGreaterThan(at + 590_000);
    expect(playbackCookieExpiry(open, at + 1_000)).toBe(expiry);
  });

  it('never outlives the access: a rental ending sooner caps it', () => {
    const until = NOW + 90_700;
    expect(playbackCookieExpiry({ allowed: true, reason: 'admin', until }, NOW)).toBe(Math.floor(until / 1000));
    expect(playbackCookieExpiry({ allowed: true, reason: 'admin', until: NOW + 3_600_000 }, NOW)).toBe(
      Math.floor(NOW / 1000) + 600,
    );
  });

  it('gives nothing when access is refused or less than a whole second is left', () => {
    expect(playbackCookieExpiry({ allowed: false, reason: 'not_entitled', until: undefined }, NOW)).toBeUndefined();
    expect(playbackCookieExpiry({ allowed: true, reason: 'admin', until: NOW + 500 }, NOW)).toBeUndefined();
    expect(playbackCookieExpiry({ allowed: true, reason: 'admin', until: NOW - 1 }, NOW)).toBeUndefined();
  });
});
