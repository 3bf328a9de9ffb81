import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, type EventEnvelope } from '#shared/events/define.js';
import { ConditionFailedError } from '#shared/errors.js';
import {
  MAX_TRANSACT_ITEMS,
  type Changes,
  type Item,
  type Query,
  type Table,
  type Write,
} from '#shared/ports/table.js';

export interface TableHarness {
  table: Table;
  cleanup(): Promise<void>;
  /** The events waiting in the adapter's outbox, when the adapter can show them. */
  outboxEvents?(): Promise<EventEnvelope[]>;
}

const Tested = defineEvent('catalog', 'ContractTested', z.object({ n: z.number() }));

const seconds = () => Math.floor(Date.now() / 1000);
const expiredTtl = () => seconds() - 60;
const liveTtl = () => seconds() + 3600;

const conditionFailed = (promise: Promise<unknown>) => expect(promise).rejects.toBeInstanceOf(ConditionFailedError);
const invalid = (promise: Promise<unknown>) => expect(promise).rejects.toMatchObject({ code: 'invalid_input' });

/** Reads every page of a query, checking each page's size against the limit. */
async function readAll(table: Table, query: Query): Promise<{ items: Item[]; pages: number }> {
  const items: Item[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await table.query({ ...query, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(query.limit ?? 100);
    items.push(...page.items);
    cursor = page.cursor;
    pages++;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { items, pages };
}

const sks = (items: Item[]) => items.map((item) => item.sk);

/**
 * The one behaviour both Table adapters must show. `transactions: false` leaves out what the
 * backend cannot run (dynalite has no TransactWriteItems); transaction input rules are still
 * checked there because adapters reject them before sending anything.
 */
export function tableContract(
  name: string,
  makeTable: () => Promise<TableHarness>,
  opts: { transactions: boolean },
): void {
  describe(`Table contract: ${name}`, () => {
    let harness: TableHarness;
    let table: Table;

    beforeEach(async () => {
      harness = await makeTable();
      table = harness.table;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    describe('get / put', () => {
      it('returns undefined for a missing item', async () => {
        expect(await table.get({ pk: 'p', sk: 'missing' })).toBeUndefined();
      });

      it('round-trips JSON values exactly', async () => {
        const item = {
          pk: 'video#1',
          sk: 'meta',
          title: '七人の侍 🎬',
          price: 1500,
          ratio: 0.25,
          negative: -3,
          free: false,
          published: true,
          nothing: null,
          cast: ['三船敏郎', '志村喬'],
          nested: { a: [1, { b: 'c' }], empty: {}, list: [] },
          blank: '',
        };
        await table.put(item);
        expect(await table.get({ pk: 'video#1', sk: 'meta' })).toEqual(item);
      });

      it('replaces the whole item on put', async () => {
        await table.put({ pk: 'p', sk: 's', a: 1, b: 2 });
        await table.put({ pk: 'p', sk: 's', a: 3 });
        expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', a: 3 });
      });

      it('drops top-level undefined attributes', async () => {
        await table.put({ pk: 'p', sk: 's', a: 1, gsi1pk: undefined });
        expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', a: 1 });
      });

      it('rejects values that are not JSON and keys that are not keys', async () => {
        await invalid(table.put({ pk: 'p', sk: 's', n: Number.NaN }));
        await invalid(table.put({ pk: 'p', sk: 's', n: Number.POSITIVE_INFINITY }));
        await invalid(table.put({ pk: 'p', sk: 's', nested: { a: undefined } } as unknown as Item));
        await invalid(table.put({ pk: 'p', sk: 's', list: [undefined] } as unknown as Item));
        await invalid(table.put({ pk: 'p', sk: 's', f: (() => 1) as unknown as string }));
        await invalid(table.put({ pk: 'p', sk: 's', d: new Date() as unknown as string }));
        await invalid(table.put({ pk: '', sk: 's' }));
        await invalid(table.put({ pk: 'p', sk: '' }));
        await invalid(table.put({ pk: 'p', sk: 's', gsi1pk: 7 as unknown as string }));
        await invalid(table.put({ pk: 'p', sk: 's', ttl: 'soon' as unknown as number }));
        await invalid(table.get({ pk: 'p' } as unknown as Item));
        expect(await table.get({ pk: 'p', sk: 's' })).toBeUndefined();
      });

      it('gets many items in the order asked, undefined where absent or expired', async () => {
        await table.put({ pk: 'video#1', sk: 'facts', n: 1 });
        await table.put({ pk: 'video#2', sk: 'facts', n: 2 });
        await table.put({ pk: 'video#3', sk: 'facts', n: 3, ttl: expiredTtl() });
        const got = await table.getMany([
          { pk: 'video#2', sk: 'facts' },
          { pk: 'video#missing', sk: 'facts' },
          { pk: 'video#1', sk: 'facts' },
          { pk: 'video#3', sk: 'facts' },
          { pk: 'video#2', sk: 'facts' },
        ]);
        expect(got.map((item) => item?.n)).toEqual([2, undefined, 1, undefined, 2]);
        expect(await table.getMany([])).toEqual([]);
      });

      it('gets up to 100 items at once and refuses more or bad keys', async () => {
        const keys = Array.from({ length: 100 }, (_, i) => ({ pk: `p${i}`, sk: 's' }));
        for (const key of keys.slice(0, 60)) await table.put({ ...key, v: key.pk });
        const got = await table.getMany(keys);
        expect(got.filter(Boolean)).toHaveLength(60);
        expect(got[59]?.v).toBe('p59');
        await invalid(table.getMany([...keys, { pk: 'p100', sk: 's' }]));
        await invalid(table.getMany([{ pk: 'p', sk: '' }]));
      });

      it('puts with notExists only once', async () => {
        await table.put({ pk: 'p', sk: 's', v: 1 }, [{ kind: 'notExists' }]);
        await conditionFailed(table.put({ pk: 'p', sk: 's', v: 2 }, [{ kind: 'notExists' }]));
        expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', v: 1 });
      });

      it('puts with exists only over an existing item', async () => {
        await conditionFailed(table.put({ pk: 'p', sk: 's', v: 1 }, [{ kind: 'exists' }]));
        expect(await table.get({ pk: 'p', sk: 's' })).toBeUndefined();
        await table.put({ pk: 'p', sk: 's', v: 1 });
        await table.put({ pk: 'p', sk: 's', v: 2 }, [{ kind: 'exists' }]);
        expect((await table.get({ pk: 'p', sk: 's' }))?.v).toBe(2);
      });

      it('checks equals strictly, including type and null', async () => {
        await table.put({ pk: 'p', sk: 's', state: 'draft', version: 1, flag: true, gone: null });
        await conditionFailed(table.put({ pk: 'p', sk: 's' }, [{ kind: 'equals', attribute: 'state', value: 'live' }]));
        await conditionFailed(table.put({ pk: 'p', sk: 's' }, [{ kind: 'equals', attribute: 'version', value: '1' }]));
        await conditionFailed(table.put({ pk: 'p', sk: 's' }, [{ kind: 'equals', attribute: 'missing', value: null }]));
        await conditionFailed(table.put({ pk: 'p', sk: 's' }, [{ kind: 'equals', attribute: 'flag', value: false }]));
        await conditionFailed(
          table.put({ pk: 'q', sk: 's' }, [{ kind: 'equals', attribute: 'state', value: 'draft' }]),
        );
        await table.put({ pk: 'p', sk: 's', state: 'live', version: 2 }, [
          { kind: 'equals', attribute: 'state', value: 'draft' },
          { kind: 'equals', attribute: 'version', value: 1 },
          { kind: 'equals', attribute: 'flag', value: true },
          { kind: 'equals', attribute: 'gone', value: null },
        ]);
        expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', state: 'live', version: 2 });
      });

      it('checks lessThan on numbers and strings; missing or mistyped attributes fail', async () => {
        await table.put({ pk: 'p', sk: 's', count: 5, at: '2024-01-02' });
        await table.put({ pk: 'p', sk: 's', count: 6, at: '2024-01-02' }, [
          { kind: 'lessThan', attribute: 'count', value: 6 },
          { kind: 'lessThan', attribute: 'at', value: '2024-01-03' },
        ]);
        await conditionFailed(table.put({ pk: 'p', sk: 's' }, [{ kind: 'lessThan', attribute: 'count', value: 6 }]));
        await conditionFailed(
          table.put({ pk: 'p', sk: 's' }, [{ kind: 'lessThan', attribute: 'at', value: '2024-01-02' }]),
        );
        await conditionFailed(table.put({ pk: 'p', sk: 's' }, [{ kind: 'lessThan', attribute: 'nope', value: 100 }]));
        await conditionFailed(table.put({ pk: 'p', sk: 's' }, [{ kind: 'lessThan', attribute: 'count', value: 'z' }]));
        expect((await table.get({ pk: 'p', sk: 's' }))?.count).toBe(6);
      });

      it('lets exactly one of many concurrent notExists puts win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, n) => table.put({ pk: 'race', sk: 'one', n }, [{ kind: 'notExists' }])),
        );
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConditionFailedError);
        }
      });
    });

    describe('update', () => {
      it('creates the item when absent, with add counting from 0', async () => {
        const item = await table.update({ pk: 'p', sk: 's' }, { set: { title: 't' }, add: { views: 3 } });
        expect(item).toEqual({ pk: 'p', sk: 's', title: 't', views: 3 });
        expect(await table.get({ pk: 'p', sk: 's' })).toEqual(item);
      });

      it('sets, adds and removes on an existing item and returns the new item', async () => {
        await table.put({ pk: 'p', sk: 's', a: 1, b: 'x', likes: 10, gsi1pk: 'g', gsi1sk: '1' });
        const item = await table.update(
          { pk: 'p', sk: 's' },
          { set: { b: 'y', c: [1, 2] }, add: { likes: -3, fresh: 2 }, remove: ['a', 'gsi1pk', 'gsi1sk'] },
        );
        expect(item).toEqual({ pk: 'p', sk: 's', b: 'y', c: [1, 2], likes: 7, fresh: 2 });
        expect(await table.get({ pk: 'p', sk: 's' })).toEqual(item);
        expect((await table.query({ partition: 'g', index: 'gsi1' })).items).toEqual([]);
      });

      it('is refused by a failing condition and writes nothing', async () => {
        await conditionFailed(table.update({ pk: 'p', sk: 's' }, { add: { n: 1 } }, [{ kind: 'exists' }]));
        expect(await table.get({ pk: 'p', sk: 's' })).toBeUndefined();
        await table.put({ pk: 'p', sk: 's', n: 1, state: 'a' });
        await conditionFailed(table.update({ pk: 'p', sk: 's' }, { add: { n: 1 } }, [{ kind: 'notExists' }]));
        await conditionFailed(
          table.update({ pk: 'p', sk: 's' }, { add: { n: 1 } }, [{ kind: 'equals', attribute: 'state', value: 'b' }]),
        );
        await conditionFailed(
          table.update({ pk: 'p', sk: 's' }, { add: { n: 1 } }, [{ kind: 'lessThan', attribute: 'n', value: 1 }]),
        );
        const item = await table.update({ pk: 'p', sk: 's' }, { add: { n: 1 } }, [
          { kind: 'exists' },
          { kind: 'lessThan', attribute: 'n', value: 2 },
        ]);
        expect(item.n).toBe(2);
      });

      it('rejects changes to the key, adds to non-numbers and overlapping changes', async () => {
        await table.put({ pk: 'p', sk: 's', title: 'x' });
        await invalid(table.update({ pk: 'p', sk: 's' }, { set: { pk: 'other' } }));
        await invalid(table.update({ pk: 'p', sk: 's' }, { remove: ['sk'] }));
        await invalid(table.update({ pk: 'p', sk: 's' }, { add: { title: 1 } }));
        await invalid(table.update({ pk: 'p', sk: 's' }, { set: { a: 1 }, remove: ['a'] }));
        await invalid(table.update({ pk: 'p', sk: 's' }, { add: { n: Number.NaN } }));
        await invalid(table.update({ pk: 'p', sk: 's' }, { set: { gsi1pk: 3 } }));
        await invalid(table.update({ pk: 'p', sk: 's' }, {}));
        await invalid(table.update({ pk: 'p', sk: 's' }, { set: { a: undefined } } as unknown as Changes));
        expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', title: 'x' });
      });

      it('adds atomically under concurrency', async () => {
        await Promise.all(
          Array.from({ length: 50 }, () => table.update({ pk: 'likes', sk: 'v1' }, { add: { count: 1 } })),
        );
        expect((await table.get({ pk: 'likes', sk: 'v1' }))?.count).toBe(50);
      });

      it('treats an expired item as absent', async () => {
        await table.put({ pk: 'p', sk: 's', count: 41, old: true, ttl: expiredTtl() });
        const item = await table.update({ pk: 'p', sk: 's' }, { add: { count: 1 } }, [{ kind: 'notExists' }]);
        expect(item).toEqual({ pk: 'p', sk: 's', count: 1 });
      });
    });

    describe('delete', () => {
      it('deletes, and deleting a missing item is fine', async () => {
        await table.put({ pk: 'p', sk: 's' });
        await table.delete({ pk: 'p', sk: 's' });
        expect(await table.get({ pk: 'p', sk: 's' })).toBeUndefined();
        await table.delete({ pk: 'p', sk: 's' });
      });

      it('keeps the item when its condition fails', async () => {
        await table.put({ pk: 'p', sk: 's', state: 'live' });
        await conditionFailed(
          table.delete({ pk: 'p', sk: 's' }, [{ kind: 'equals', attribute: 'state', value: 'draft' }]),
        );
        expect(await table.get({ pk: 'p', sk: 's' })).toBeDefined();
        await conditionFailed(table.delete({ pk: 'p', sk: 'none' }, [{ kind: 'exists' }]));
        await table.delete({ pk: 'p', sk: 's' }, [{ kind: 'equals', attribute: 'state', value: 'live' }]);
        expect(await table.get({ pk: 'p', sk: 's' })).toBeUndefined();
      });
    });

    describe('query', () => {
      const keys = ['a', 'b', 'ba', 'bb', 'c', 'd', 'e', 'f', 'g', 'h'];
      beforeEach(async () => {
        for (const sk of [...keys].reverse()) await table.put({ pk: 'part', sk, n: keys.indexOf(sk) });
        await table.put({ pk: 'other', sk: 'a' });
        await table.put({ pk: 'partition', sk: 'a' });
      });

      it('reads one partition in sort key order', async () => {
        expect(sks((await table.query({ partition: 'part' })).items)).toEqual(keys);
        expect((await table.query({ partition: 'nobody' })).items).toEqual([]);
      });

      it('applies every sort key condition', async () => {
        const read = async (sort: Query['sort']) => sks((await table.query({ partition: 'part', sort })).items);
        expect(await read({ beginsWith: 'b' })).toEqual(['b', 'ba', 'bb']);
        expect(await read({ beginsWith: 'ba' })).toEqual(['ba']);
        expect(await read({ between: ['b', 'c'] })).toEqual(['b', 'ba', 'bb', 'c']);
        expect(await read({ gt: 'e' })).toEqual(['f', 'g', 'h']);
        expect(await read({ gte: 'e' })).toEqual(['e', 'f', 'g', 'h']);
        expect(await read({ lt: 'b' })).toEqual(['a']);
        expect(await read({ lte: 'b' })).toEqual(['a', 'b']);
      });

      it('reads descending', async () => {
        expect(sks((await table.query({ partition: 'part', descending: true })).items)).toEqual([...keys].reverse());
        const page = await table.query({ partition: 'part', descending: true, sort: { lt: 'c' }, limit: 2 });
        expect(sks(page.items)).toEqual(['bb', 'ba']);
      });

      it('pages with limit and cursor, both ways', async () => {
        const first = await table.query({ partition: 'part', limit: 3 });
        expect(sks(first.items)).toEqual(['a', 'b', 'ba']);
        expect(first.cursor).toEqual(expect.any(String));
        const forward = await readAll(table, { partition: 'part', limit: 3 });
        expect(sks(forward.items)).toEqual(keys);
        expect(forward.pages).toBeGreaterThanOrEqual(4);
        const backward = await readAll(table, { partition: 'part', limit: 4, descending: true, sort: { gte: 'b' } });
        expect(sks(backward.items)).toEqual(keys.slice(1).reverse());
        const all = await table.query({ partition: 'part', limit: 1000 });
        expect(all.cursor).toBeUndefined();
      });

      it('rejects a bad limit or a foreign cursor', async () => {
        await invalid(table.query({ partition: 'part', limit: 0 }));
        await invalid(table.query({ partition: 'part', limit: 1001 }));
        await invalid(table.query({ partition: 'part', limit: 1.5 }));
        await invalid(table.query({ partition: 'part', cursor: 'not-a-cursor' }));
        const page = await table.query({ partition: 'part', limit: 1 });
        await invalid(table.query({ partition: 'other', cursor: page.cursor }));
      });

      it('hides expired items', async () => {
        await table.put({ pk: 'part', sk: 'bz', ttl: expiredTtl() });
        await table.put({ pk: 'part', sk: 'bzz', ttl: liveTtl() });
        expect(sks((await table.query({ partition: 'part', sort: { beginsWith: 'b' } })).items)).toEqual([
          'b',
          'ba',
          'bb',
          'bzz',
        ]);
      });
    });

    describe('secondary indexes', () => {
      beforeEach(async () => {
        // Videos by genre (gsi1, newest first by time) and by cast member (gsi2).
        const videos = [
          { id: 'v1', genre: 'drama', at: '2024-01-01', cast: 'mifune' },
          { id: 'v2', genre: 'drama', at: '2024-03-01', cast: 'shimura' },
          { id: 'v3', genre: 'comedy', at: '2024-02-01', cast: 'mifune' },
          { id: 'v4', genre: 'drama', at: '2024-02-01', cast: 'mifune' },
          { id: 'v5', genre: 'drama', at: '2024-02-01' },
        ];
        for (const video of videos) {
          await table.put({
            pk: `video#${video.id}`,
            sk: 'meta',
            gsi1pk: `genre#${video.genre}`,
            gsi1sk: video.at,
            ...(video.cast ? { gsi2pk: `cast#${video.cast}`, gsi2sk: video.id } : {}),
          });
        }
        await table.put({ pk: 'video#v6', sk: 'meta', gsi1pk: 'genre#drama' }); // no sort key: not indexed
        await table.put({ pk: 'video#v7', sk: 'meta', gsi1pk: 'genre#drama', gsi1sk: '2024-05-01', ttl: expiredTtl() });
      });

      const ids = (items: Item[]) => items.map((item) => item.pk.replace('video#', ''));

      it('queries gsi1 and gsi2 by partition and sort condition', async () => {
        const drama = await table.query({ partition: 'genre#drama', index: 'gsi1' });
        expect(drama.items.map((item) => item.gsi1sk)).toEqual([
          '2024-01-01',
          '2024-02-01',
          '2024-02-01',
          '2024-03-01',
        ]);
        expect(ids(drama.items).sort()).toEqual(['v1', 'v2', 'v4', 'v5']);
        const recent = await table.query({
          partition: 'genre#drama',
          index: 'gsi1',
          sort: { gte: '2024-02' },
          descending: true,
        });
        expect(ids(recent.items)[0]).toBe('v2');
        expect(ids(recent.items)).toHaveLength(3);
        const mifune = await table.query({ partition: 'cast#mifune', index: 'gsi2' });
        expect(ids(mifune.items)).toEqual(['v1', 'v3', 'v4']);
        expect(mifune.items[0]).toEqual({
          pk: 'video#v1',
          sk: 'meta',
          gsi1pk: 'genre#drama',
          gsi1sk: '2024-01-01',
          gsi2pk: 'cast#mifune',
          gsi2sk: 'v1',
        });
        const beginsWith = await table.query({
          partition: 'cast#mifune',
          index: 'gsi2',
          sort: { between: ['v2', 'v9'] },
        });
        expect(ids(beginsWith.items)).toEqual(['v3', 'v4']);
      });

      it('pages an index through ties on its sort key', async () => {
        for (const descending of [false, true]) {
          const { items } = await readAll(table, { partition: 'genre#drama', index: 'gsi1', limit: 1, descending });
          expect(ids(items).sort()).toEqual(['v1', 'v2', 'v4', 'v5']);
          const dates = items.map((item) => item.gsi1sk as string);
          expect(dates).toEqual([...dates].sort((a, b) => (descending ? b.localeCompare(a) : a.localeCompare(b))));
        }
      });

      it('follows updates of index attributes', async () => {
        await table.update({ pk: 'video#v1', sk: 'meta' }, { set: { gsi1pk: 'genre#comedy' } });
        expect(ids((await table.query({ partition: 'genre#comedy', index: 'gsi1' })).items)).toEqual(['v1', 'v3']);
      });
    });

    describe('ttl', () => {
      it('hides an expired item from get and lets notExists succeed over it', async () => {
        await table.put({ pk: 'p', sk: 'old', ttl: expiredTtl() });
        await table.put({ pk: 'p', sk: 'new', ttl: liveTtl() });
        expect(await table.get({ pk: 'p', sk: 'old' })).toBeUndefined();
        expect(await table.get({ pk: 'p', sk: 'new' })).toMatchObject({ sk: 'new' });
        await conditionFailed(table.put({ pk: 'p', sk: 'old', v: 1 }, [{ kind: 'exists' }]));
        await conditionFailed(table.put({ pk: 'p', sk: 'new', v: 1 }, [{ kind: 'notExists' }]));
        await table.put({ pk: 'p', sk: 'old', v: 2 }, [{ kind: 'notExists' }]);
        expect(await table.get({ pk: 'p', sk: 'old' })).toEqual({ pk: 'p', sk: 'old', v: 2 });
      });
    });

    describe('transact input rules', () => {
      it(`rejects more than ${MAX_TRANSACT_ITEMS} writes and events`, async () => {
        const writes: Write[] = Array.from({ length: MAX_TRANSACT_ITEMS }, (_, n) => ({
          put: { pk: 'p', sk: `s${n}` },
        }));
        await invalid(table.transact([...writes, { put: { pk: 'p', sk: 'one-more' } }]));
        await invalid(table.transact(writes, { events: [Tested.create({ n: 1 }, Date.now())] }));
        expect(await table.get({ pk: 'p', sk: 's0' })).toBeUndefined();
      });

      it('rejects two writes on one item and two events with one id', async () => {
        await invalid(
          table.transact([{ put: { pk: 'p', sk: 's' } }, { update: { pk: 'p', sk: 's' }, changes: { add: { n: 1 } } }]),
        );
        await invalid(
          table.transact([{ put: { pk: 'p', sk: 's' } }, { check: { pk: 'p', sk: 's' }, when: [{ kind: 'exists' }] }]),
        );
        const event = Tested.create({ n: 1 }, Date.now());
        await invalid(table.transact([{ put: { pk: 'p', sk: 'x' } }], { events: [event, event] }));
        await invalid(table.transact([], { events: [{ ...event, source: 'not-kinema' }] }));
        expect(await table.get({ pk: 'p', sk: 's' })).toBeUndefined();
        expect(await table.get({ pk: 'p', sk: 'x' })).toBeUndefined();
      });
    });

    if (opts.transactions) {
      describe('transact', () => {
        const outbox = async () => (harness.outboxEvents ? await harness.outboxEvents() : undefined);

        it('commits every write and its events together', async () => {
          await table.put({ pk: 'video#1', sk: 'meta', state: 'draft', version: 1 });
          await table.put({ pk: 'video#1', sk: 'old' });
          await table.put({ pk: 'account#1', sk: 'profile', role: 'admin' });
          const event = Tested.create({ n: 1 }, Date.now());
          await table.transact(
            [
              {
                update: { pk: 'video#1', sk: 'meta' },
                changes: { set: { state: 'live' }, add: { version: 1 } },
                when: [{ kind: 'equals', attribute: 'state', value: 'draft' }],
              },
              { put: { pk: 'video#1', sk: 'log#1', note: 'published' }, when: [{ kind: 'notExists' }] },
              { delete: { pk: 'video#1', sk: 'old' }, when: [{ kind: 'exists' }] },
              {
                check: { pk: 'account#1', sk: 'profile' },
                when: [{ kind: 'equals', attribute: 'role', value: 'admin' }],
              },
              { update: { pk: 'counter', sk: 'videos' }, changes: { add: { live: 1 } } },
            ],
            { events: [event] },
          );
          expect(await table.get({ pk: 'video#1', sk: 'meta' })).toMatchObject({ state: 'live', version: 2 });
          expect(await table.get({ pk: 'video#1', sk: 'log#1' })).toMatchObject({ note: 'published' });
          expect(await table.get({ pk: 'video#1', sk: 'old' })).toBeUndefined();
          expect(await table.get({ pk: 'counter', sk: 'videos' })).toMatchObject({ live: 1 });
          const events = await outbox();
          if (events) expect(events).toEqual([event]);
        });

        it('writes nothing and no event when one condition fails', async () => {
          await table.put({ pk: 'a', sk: 'a', n: 1 });
          const attempts: Write[][] = [
            [{ put: { pk: 'b', sk: 'b' } }, { put: { pk: 'a', sk: 'a', n: 2 }, when: [{ kind: 'notExists' }] }],
            [
              { update: { pk: 'a', sk: 'a' }, changes: { add: { n: 1 } } },
              { check: { pk: 'c', sk: 'c' }, when: [{ kind: 'exists' }] },
            ],
            [
              { delete: { pk: 'a', sk: 'a' } },
              { update: { pk: 'b', sk: 'b' }, changes: { set: { x: 1 } }, when: [{ kind: 'exists' }] },
            ],
          ];
          for (const writes of attempts) {
            await conditionFailed(table.transact(writes, { events: [Tested.create({ n: 2 }, Date.now())] }));
          }
          expect(await table.get({ pk: 'a', sk: 'a' })).toEqual({ pk: 'a', sk: 'a', n: 1 });
          expect(await table.get({ pk: 'b', sk: 'b' })).toBeUndefined();
          const events = await outbox();
          if (events) expect(events).toEqual([]);
        });

        it(`accepts exactly ${MAX_TRANSACT_ITEMS} items`, async () => {
          const writes: Write[] = Array.from({ length: MAX_TRANSACT_ITEMS - 1 }, (_, n) => ({
            put: { pk: 'p', sk: `s${n}` },
          }));
          await table.transact(writes, { events: [Tested.create({ n: 3 }, Date.now())] });
          expect((await table.query({ partition: 'p', limit: 1000 })).items).toHaveLength(MAX_TRANSACT_ITEMS - 1);
        });

        it('commits events alone', async () => {
          const events = [Tested.create({ n: 1 }, Date.now()), Tested.create({ n: 2 }, Date.now())];
          await table.transact([], { events });
          const pending = await outbox();
          if (pending) expect(pending).toEqual(events);
        });

        it('rejects invalid values before writing anything', async () => {
          await invalid(table.transact([{ put: { pk: 'a', sk: 'a' } }, { put: { pk: 'b', sk: 'b', n: Number.NaN } }]));
          expect(await table.get({ pk: 'a', sk: 'a' })).toBeUndefined();
        });
      });
    }
  });
}
