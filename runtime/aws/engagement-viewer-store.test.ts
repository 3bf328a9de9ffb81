import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoTable } from '#platform/aws/dynamo-table.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { Table } from '#shared/ports/table.js';
import { startDynalite } from '#test/support/dynalite.js';
import type { LocalDynamo } from '#test/support/dynalite.js';
import { viewerStore } from '#services/engagement/src/viewer-store.js';

/**
 * Engagement's viewer records (positions, the sparse "continue watching" index, my list) on both
 * runtimes' tables: SQLite, and DynamoDB through dynalite (here, because a service's own tests may
 * not import the AWS adapter).
 */
const T0 = Date.UTC(2030, 0, 1);
const dir = mkdtempSync(join(tmpdir(), 'kinema-viewer-store-'));
const closers: (() => void)[] = [];
let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  for (const close of closers) close();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

let tables = 0;
async function dynaliteTable(): Promise<Table> {
  const name = `engagement-${++tables}`;
  await dynamo.createTable(name);
  return dynamoTable({ name, client: dynamo.documents });
}

function localTable(): Table {
  const table = sqliteTable({ file: join(dir, `engagement-${++tables}.db`) });
  closers.push(() => table.close());
  return table;
}

describe.each([
  ['SQLite', localTable],
  ['DynamoDB (dynalite)', dynaliteTable],
] as const)('the viewer store on %s', (_name, makeTable) => {
  it('answers continue watching from the sparse index, newest first, without finished titles', async () => {
    const store = viewerStore(await makeTable());
    await store.saveProgress('u1', 'v1', { positionSeconds: 10, durationSeconds: 100 }, T0);
    await store.saveProgress('u1', 'v2', { positionSeconds: 20, durationSeconds: 100 }, T0 + 1_000);
    await store.saveProgress('u1', 'v3', { positionSeconds: 30, durationSeconds: 100 }, T0 + 2_000);
    await store.saveProgress('u2', 'v1', { positionSeconds: 50, durationSeconds: 100 }, T0 + 3_000);
    // v2 is watched to the end; v1 watched again later.
    await store.saveProgress('u1', 'v2', { positionSeconds: 99, durationSeconds: 100 }, T0 + 4_000);
    await store.saveProgress('u1', 'v1', { positionSeconds: 15, durationSeconds: 100 }, T0 + 5_000);

    const row = await store.unfinished('u1', 10);
    expect(row.map((item) => [item.videoId, item.positionSeconds])).toEqual([
      ['v1', 15],
      ['v3', 30],
    ]);
    expect((await store.unfinished('u1', 1)).map((item) => item.videoId)).toEqual(['v1']);
    expect(await store.progress('u1', 'v2')).toMatchObject({ finished: true, positionSeconds: 99 });
    expect(Object.keys(await store.progressFor('u1', ['v1', 'v2', 'v9'])).sort()).toEqual(['v1', 'v2']);
    expect((await store.watchedIds('u1')).sort()).toEqual(['v1', 'v2', 'v3']);
  });

  it('keeps my list newest first, idempotently', async () => {
    const store = viewerStore(await makeTable());
    await store.addToList('u1', 'v1', T0);
    await store.addToList('u1', 'v2', T0 + 1_000);
    await store.addToList('u1', 'v1', T0 + 2_000);
    expect(await store.list('u1')).toEqual([
      { videoId: 'v2', addedAt: new Date(T0 + 1_000).toISOString() },
      { videoId: 'v1', addedAt: new Date(T0).toISOString() },
    ]);
    await store.removeFromList('u1', 'v2');
    await store.removeFromList('u1', 'v2');
    expect((await store.list('u1')).map((entry) => entry.videoId)).toEqual(['v1']);
    expect(await store.inList('u1', 'v1')).toBe(true);
    expect(await store.inList('u2', 'v1')).toBe(false);
  });
});
