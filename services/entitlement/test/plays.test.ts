import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import { PLAY_SESSION_MS, PLAY_SESSION_REFRESH_MS } from '../src/domain/report.js';
import { playsStore } from '../src/plays.js';

const T0 = Date.UTC(2030, 0, 10, 3); // noon in Tokyo
const MINUTE = 60_000;
let dir: string;
let table: SqliteTable;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kinema-plays-'));
  table = sqliteTable({ file: join(dir, 'entitlement.db') });
});

afterEach(() => {
  table.close();
  rmSync(dir, { recursive: true, force: true });
});

const lastAt = async () =>
  (await table.get({ pk: 'play-session#u1#v1', sk: 'last' }))?.['lastAt'] as number | undefined;

describe('plays', () => {
  it('counts one play per session; grants inside it write the session only once per refresh', async () => {
    const plays = playsStore(table);
    expect(await plays.record('u1', 'v1', T0)).toBe(true);
    // Cookie renewals a minute apart: the same play, and no write (the hot path stays a read).
    expect(await plays.record('u1', 'v1', T0 + MINUTE)).toBe(false);
    expect(await lastAt()).toBe(T0);
    // Past the refresh interval the session is written again, so it stays alive.
    const refresh = T0 + PLAY_SESSION_REFRESH_MS;
    expect(await plays.record('u1', 'v1', refresh)).toBe(false);
    expect(await lastAt()).toBe(refresh);
    // Within the window of the refreshed time (but past the first one's): still the same play.
    expect(await plays.record('u1', 'v1', T0 + PLAY_SESSION_MS + MINUTE)).toBe(false);
    // A whole window after the last write: a new play.
    const later = T0 + PLAY_SESSION_MS + MINUTE + PLAY_SESSION_MS;
    expect(await plays.record('u1', 'v1', later)).toBe(true);
    expect((await plays.between(T0 - MINUTE, later + MINUTE)).get('v1')).toBe(2);
  });
});

describe('plays: grants answered from memory', () => {
  it('reads nothing for renewals inside the refresh interval, and still counts like the table says', async () => {
    let reads = 0;
    const counted = new Proxy(table, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name !== 'get' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          reads++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const plays = playsStore(counted);
    expect(await plays.record('u1', 'v1', T0)).toBe(true);
    const afterFirst = reads;
    for (let minute = 1; minute < 5; minute++) expect(await plays.record('u1', 'v1', T0 + minute * MINUTE)).toBe(false);
    expect(reads).toBe(afterFirst);
    // Past the refresh interval the table is read (and the session written) again.
    expect(await plays.record('u1', 'v1', T0 + PLAY_SESSION_REFRESH_MS)).toBe(false);
    expect(reads).toBe(afterFirst + 1);
    expect(await lastAt()).toBe(T0 + PLAY_SESSION_REFRESH_MS);
    // Another process's store (no memory) sees the same session: the same play.
    expect(await playsStore(table).record('u1', 'v1', T0 + PLAY_SESSION_REFRESH_MS + MINUTE)).toBe(false);
    // A clock that went back is not trusted: the table decides.
    expect(await plays.record('u1', 'v1', T0 - MINUTE)).toBe(false);
    expect(reads).toBe(afterFirst + 2);
    // Other viewers and titles are their own sessions.
    expect(await plays.record('u2', 'v1', T0 + MINUTE)).toBe(true);
    expect(await plays.record('u1', 'v2', T0 + MINUTE)).toBe(true);
    expect((await plays.between(T0 - MINUTE, T0 + PLAY_SESSION_MS)).get('v1')).toBe(2);
  });
});
