import { z } from 'zod';
import { ConditionFailedError } from '#shared/errors.js';
import type { Table } from '#shared/ports/table.js';
import { jstDate, jstMonth } from './domain/ledger.js';
import { PLAY_SESSION_MS, PLAY_SESSION_REFRESH_MS } from './domain/report.js';
import { monthsBetween } from './ledger.js';

/**
 * Plays per title and day, counted where playback is authorised (the playback route): a viewer's
 * first authorisation of a title in 30 minutes is a play; cookie renewals and reloads inside
 * that window are not.
 *   play-session#<userId>#<videoId> / last   when that viewer last started or renewed it (ttl 1 day)
 *   plays#<YYYY-MM>  / <YYYY-MM-DD>#<videoId> plays that day (atomic add)
 */
const sessionKey = (userId: string, videoId: string) => ({ pk: `play-session#${userId}#${videoId}`, sk: 'last' });
const Session = z.object({ lastAt: z.number() });
const Counter = z.object({ sk: z.string(), plays: z.number().default(0) });

/** Sessions remembered at most (a busy hour's viewers × titles); past this the memory starts over. */
const MAX_KNOWN_SESSIONS = 50_000;

export function playsStore(table: Table) {
  // Each session's `lastAt` as this process last read or wrote it. The stored value can only be
  // that or later (another instance's grant), so while it is younger than the refresh interval a
  // grant is the same play and writes nothing, whatever the store holds: no read is needed. This
  // keeps the steady state of `/playback` (a cookie renewal every few minutes) off the table.
  const known = new Map<string, number>();
  const remember = (memoKey: string, lastAt: number) => {
    if (known.size >= MAX_KNOWN_SESSIONS) known.clear();
    known.set(memoKey, lastAt);
  };

  /** Counts a play unless this viewer started the title less than 30 minutes ago. True if counted. */
  async function record(userId: string, videoId: string, now: number): Promise<boolean> {
    const memoKey = `${userId}#${videoId}`;
    const seen = known.get(memoKey);
    if (seen !== undefined && now >= seen && now - seen < PLAY_SESSION_REFRESH_MS) return false;
    const key = sessionKey(userId, videoId);
    const item = await table.get(key);
    const last = item ? Session.parse(item).lastAt : undefined;
    const ttl = Math.floor(now / 1000) + 24 * 3600;
    if (last !== undefined && now - last < PLAY_SESSION_MS) {
      // The same play; the session is kept alive, but written at most once per refresh interval.
      if (now - last >= PLAY_SESSION_REFRESH_MS) {
        await table.put({ ...key, lastAt: now, ttl });
        remember(memoKey, now);
      } else remember(memoKey, last);
      return false;
    }
    try {
      await table.transact([
        {
          put: { ...key, lastAt: now, ttl },
          when: last === undefined ? [{ kind: 'notExists' }] : [{ kind: 'equals', attribute: 'lastAt', value: last }],
        },
        {
          update: { pk: `plays#${jstMonth(now)}`, sk: `${jstDate(now)}#${videoId}` },
          changes: { add: { plays: 1 }, set: { videoId } },
        },
      ]);
      remember(memoKey, now);
      return true;
    } catch (error) {
      // Another tab of the same viewer counted this play a moment ago.
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** Plays per title over `[fromMs, toMs)` (whole Japanese days). */
  async function between(fromMs: number, toMs: number): Promise<Map<string, number>> {
    const plays = new Map<string, number>();
    const first = jstDate(fromMs);
    const last = jstDate(toMs - 1);
    for (const month of monthsBetween(fromMs, toMs)) {
      let cursor: string | undefined;
      do {
        const page = await table.query({
          partition: `plays#${month}`,
          sort: { between: [first, `${last}~`] },
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        for (const item of page.items) {
          const { sk, plays: count } = Counter.parse(item);
          const videoId = sk.slice(sk.indexOf('#') + 1);
          plays.set(videoId, (plays.get(videoId) ?? 0) + count);
        }
        cursor = page.cursor;
      } while (cursor);
    }
    return plays;
  }

  return { record, between };
}

export type PlaysStore = ReturnType<typeof playsStore>;
