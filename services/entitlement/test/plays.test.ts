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
