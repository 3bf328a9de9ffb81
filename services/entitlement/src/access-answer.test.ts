import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessReason as AccessReasons } from '#shared/responses.js';
import { accessAnswerJson } from './access-answer.js';
import type { AccessDecision, AccessReason } from './domain/access.js';

/** Every reason the contract names. */
const REASONS: AccessReason[] = [...AccessReasons.options];

/** What the route answered before: an object built in request order, then JSON.stringify. */
function viaStringify(videoIds: readonly string[], decide: (videoId: string) => AccessDecision) {
  const result: Record<string, { canWatch: boolean; reason: string; expiresAt: string | null }> = {};
  for (const videoId of videoIds) {
    const decision = decide(videoId);
    result[videoId] = {
      canWatch: decision.canWatch,
      reason: decision.reason,
      expiresAt: decision.expiresAt === null ? null : new Date(decision.expiresAt).toISOString(),
    };
  }
  return JSON.stringify(result);
}

const decision = fc.record({
  canWatch: fc.boolean(),
  reason: fc.constantFrom(...REASONS),
  expiresAt: fc.option(fc.integer({ min: 0, max: 8_640_000_000_000_000 }), { nil: null }),
});
/**
 * Ids as the Id schema lets them through, array-index-like ones included, plus odd text (not
 * `__proto__`, which an object literal would take as its prototype and the Id schema refuses).
 */
const videoId = fc.oneof(
  fc.stringMatching(/^[0-9a-z][0-9a-z_-]{0,30}$/),
  fc.nat({ max: 5_000_000_000 }).map(String),
  fc.constantFrom('0', '00', '01', '4294967294', '4294967295', '-1'),
  fc.string().filter((text) => text !== '__proto__'),
);

describe('accessAnswerJson', () => {
  it('writes exactly what JSON.stringify of the answer object gives', () => {
    fc.assert(
      fc.property(
        fc.array(videoId, { maxLength: 60 }),
        fc.dictionary(fc.string(), decision),
        decision,
        (ids, decisions, fallback) => {
          // Own keys only: an id such as `toString` must not find Object.prototype's function.
          const decide = (id: string) => (Object.hasOwn(decisions, id) ? decisions[id]! : fallback);
          expect(accessAnswerJson(ids, decide)).toBe(viaStringify(ids, decide));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('answers a page in request order, a repeated title once, and an empty page as {}', () => {
    const decide = (id: string): AccessDecision =>
      id === 'b'
        ? { canWatch: true, reason: 'rental', expiresAt: Date.UTC(2030, 0, 3) }
        : { canWatch: false, reason: 'not_entitled', expiresAt: null };
    expect(JSON.parse(accessAnswerJson(['c', 'b', 'c', 'a'], decide))).toEqual({
      c: { canWatch: false, reason: 'not_entitled', expiresAt: null },
      b: { canWatch: true, reason: 'rental', expiresAt: '2030-01-03T00:00:00.000Z' },
      a: { canWatch: false, reason: 'not_entitled', expiresAt: null },
    });
    expect(Object.keys(JSON.parse(accessAnswerJson(['c', 'b', 'c', 'a'], decide)))).toEqual(['c', 'b', 'a']);
    expect(accessAnswerJson([], decide)).toBe('{}');
  });
});
