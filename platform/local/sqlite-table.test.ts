import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '#shared/events/define.js';
import { tableContract } from '#test/contract/table.contract.js';
import { sqliteTable, syncCreatedDatabases, type SqliteTable } from './sqlite-table.js';

const tempDirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-table-'));
  tempDirs.push(dir);
  return join(dir, 'table.db');
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

tableContract(
  'sqliteTable',
  async () => {
    const table = sqliteTable({ file: tempFile() });
    return {
      table,
      outboxEvents: async () => table.outbox.pending(1000).map((row) => row.envelope),
      cleanup: async () => table.close(),
    };
  },
  { transactions: true },
);

const Liked = defineEvent('engagement', 'ContractLiked', z.object({ videoId: z.string() }));

describe('sqliteTable specifics', () => {
  let table: SqliteTable | undefined;
  afterEach(() => table?.close());

  it('keeps data across reopen, with WAL and synchronous=FULL', async () => {
    const file = tempFile();
    table = sqliteTable({ file });
    await table.put({ pk: 'p', sk: 's', v: 1 });
    table.close();
    table = sqliteTable({ file });
    expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', v: 1 });
  });

  it('lists the files it creates when asked to defer their flush, and flushes them together', async () => {
    const first = tempFile();
    const second = join(first, '..', 'second.db');
    const created: string[] = [];
    const tables = [sqliteTable({ file: first, created }), sqliteTable({ file: second, created })];
    expect(created).toEqual([first, second]);
    await syncCreatedDatabases(created);
    await tables[0]!.put({ pk: 'p', sk: 's', v: 1 });
    for (const opened of tables) opened.close();
    // An existing file is opened as always, and not listed.
    const again: string[] = [];
    table = sqliteTable({ file: first, created: again });
    expect(again).toEqual([]);
    expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', v: 1 });
    await expect(syncCreatedDatabases([join(first, '..', 'absent.db')])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('relays the outbox in commit order, once marked it is no longer pending', async () => {
    table = sqliteTable({ file: tempFile() });
    const commits: number[] = [];
    const unsubscribe = table.onCommit(() => commits.push(commits.length));
    const first = Liked.create({ videoId: 'a' }, 1_000);
    const second = Liked.create({ videoId: 'b' }, 2_000);
    await table.transact([{ put: { pk: 'like', sk: 'a' } }], { events: [first] });
    await table.transact([{ put: { pk: 'like', sk: 'b' } }]);
    await table.transact([], { events: [second, Liked.create({ videoId: 'c' }, 3_000, first.id)] });
    expect(commits).toHaveLength(2);
    const pending = table.outbox.pending(10);
    // The re-emitted id is the same event: the outbox keeps the first copy only.
    expect(pending.map((row) => row.envelope)).toEqual([first, second]);
    expect(pending[0]!.seq).toBeLessThan(pending[1]!.seq);
    table.outbox.markRelayed([pending[0]!.seq]);
    expect(table.outbox.pending(10).map((row) => row.envelope.id)).toEqual([second.id]);
    expect(table.outbox.pending(0)).toEqual([]);
    unsubscribe();
    await table.transact([], { events: [Liked.create({ videoId: 'd' }, 4_000)] });
    expect(commits).toHaveLength(2);
  });

  it('sweeps expired items by the injected clock', async () => {
    let now = 1_000_000;
    table = sqliteTable({ file: tempFile(), now: () => now });
    await table.put({ pk: 'p', sk: 'a', ttl: 1_000 });
    await table.put({ pk: 'p', sk: 'b', ttl: 2_000 });
    await table.put({ pk: 'p', sk: 'c' });
    expect(await table.get({ pk: 'p', sk: 'a' })).toBeUndefined();
    expect(table.sweepExpired()).toBe(1);
    now = 2_000_000;
    expect((await table.query({ partition: 'p' })).items.map((item) => item.sk)).toEqual(['c']);
    expect(table.sweepExpired()).toBe(1);
    expect(table.sweepExpired()).toBe(0);
  });

  it('serialises conditional writes across two connections to one file', async () => {
    const file = tempFile();
    table = sqliteTable({ file });
    const other = sqliteTable({ file });
    try {
      await table.put({ pk: 'p', sk: 's' }, [{ kind: 'notExists' }]);
      await expect(other.put({ pk: 'p', sk: 's' }, [{ kind: 'notExists' }])).rejects.toMatchObject({
        code: 'conflict',
      });
      await Promise.all(
        Array.from({ length: 20 }, (_, n) => (n % 2 ? table! : other).update({ pk: 'c', sk: 'c' }, { add: { n: 1 } })),
      );
      expect((await other.get({ pk: 'c', sk: 'c' }))?.n).toBe(20);
    } finally {
      other.close();
    }
  });

  it('works in memory for throw-away tables', async () => {
    table = sqliteTable({ file: ':memory:' });
    await table.put({ pk: 'p', sk: 's' });
    expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's' });
  });

  it('pages right with every limit, past the statement cache bound', async () => {
    table = sqliteTable({ file: ':memory:' });
    for (let i = 0; i < 30; i++) await table.put({ pk: 'p', sk: `s${String(i).padStart(2, '0')}` });
    // Limits are written into the SQL: each one is its own statement, and the cache starts over.
    for (let round = 0; round < 20; round++) {
      for (let limit = 1; limit <= 31; limit++) {
        const page = await table.query({ partition: 'p', limit });
        expect(page.items).toHaveLength(Math.min(limit, 30));
        expect(page.cursor === undefined).toBe(limit >= 30);
      }
      const next = await table.query({
        partition: 'p',
        limit: 7,
        cursor: (await table.query({ partition: 'p', limit: 7 })).cursor!,
      });
      expect(next.items.map((item) => item.sk)).toEqual(['s07', 's08', 's09', 's10', 's11', 's12', 's13']);
    }
    for (let limit = 1; limit <= 1000; limit++) {
      expect((await table.query({ partition: 'p', limit, descending: true })).items[0]?.sk).toBe('s29');
    }
  });
});
