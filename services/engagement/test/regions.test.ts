import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import type { Item, Key, Table, Write } from '#shared/ports/table.js';
import { eventVersion } from '../src/domain/video.js';
import { likeStore } from '../src/store.js';

/**
 * Two regions' replicas of one global table, as DynamoDB global tables behave: each region
 * writes its own replica at once; replication later ships each changed item's after-image to the
 * other region, where conflicts are resolved per item, last writer wins (by write time).
 */
function globalTable(dir: string) {
  let clock = 0;
  const replicas = new Map<string, { table: SqliteTable; log: { key: Key; image?: Item; at: number }[] }>();
  const writtenAt = new Map<string, number>(); // `${region} ${pk} ${sk}` → time of the write the replica holds
  const id = (region: string, key: Key) => `${region} ${key.pk} ${key.sk}`;

  const region = (name: string): Table => {
    const table = sqliteTable({ file: join(dir, `${name}.db`) });
    const replica = { table, log: [] as { key: Key; image?: Item; at: number }[] };
    replicas.set(name, replica);
    const record = async (keys: Key[]) => {
      for (const key of keys) {
        const at = ++clock;
        writtenAt.set(id(name, key), at);
        replica.log.push({ key, image: await table.get(key), at });
      }
    };
    const keyOf = (write: Write): Key =>
      'put' in write ? write.put : 'update' in write ? write.update : 'delete' in write ? write.delete : write.check;
    return {
      get: (key) => table.get(key),
      getMany: (keys) => table.getMany(keys),
      query: (query) => table.query(query),
      async put(item, when) {
        await table.put(item, when);
        await record([item]);
      },
      async update(key, changes, when) {
        const item = await table.update(key, changes, when);
        await record([key]);
        return item;
      },
      async delete(key, when) {
        await table.delete(key, when);
        await record([key]);
      },
      async transact(writes, options) {
        await table.transact(writes, options);
        await record(writes.filter((write) => !('check' in write)).map(keyOf));
      },
    };
  };

  /** Ships every region's pending after-images to the others; the later write of an item wins. */
  const replicate = async () => {
    for (const [source, { log }] of replicas) {
      for (const change of log.splice(0)) {
        for (const [target, { table }] of replicas) {
          if (target === source) continue;
          if ((writtenAt.get(id(target, change.key)) ?? 0) > change.at) continue; // the target's write is later
          writtenAt.set(id(target, change.key), change.at);
          if (change.image) await table.put(change.image);
          else await table.delete(change.key);
        }
      }
    }
  };

  return { region, replicate, replicas };
}

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function twoRegions() {
  dir = mkdtempSync(join(tmpdir(), 'kinema-regions-'));
  const global = globalTable(dir);
  const tokyoTable = global.region('ap-northeast-1');
  const singaporeTable = global.region('ap-southeast-1');
  const tokyo = likeStore(tokyoTable, { region: 'ap-northeast-1' });
  const singapore = likeStore(singaporeTable, { region: 'ap-southeast-1' });
  // Each region consumes the catalog's events itself.
  await tokyo.applyCatalog('v1', 'published', eventVersion(new Date(0).toISOString(), 'e1'));
  await singapore.applyCatalog('v1', 'published', eventVersion(new Date(0).toISOString(), 'e1'));
  await global.replicate();
  const viewers = async (table: Table) =>
    (await table.query({ partition: 'video#v1', sort: { beginsWith: 'viewer#' }, limit: 1000 })).items.length;
  return { global, tokyo, singapore, tokyoTable, singaporeTable, viewers };
}

describe('likes across two regions writing at once', () => {
  it('converges on the exact count: each region adds only to its own shard', async () => {
    const { global, tokyo, singapore, tokyoTable, singaporeTable, viewers } = await twoRegions();
    // 60 viewers like in Tokyo and 40 others in Singapore, interleaved, before any replication.
    await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => tokyo.like('v1', `t${i}`)),
      ...Array.from({ length: 40 }, (_, i) => singapore.like('v1', `s${i}`)),
    ]);
    expect(await tokyo.count('v1')).toBe(60); // each region sees its own likes at once
    expect(await singapore.count('v1')).toBe(40);
    await global.replicate();
    expect(await tokyo.count('v1')).toBe(100);
    expect(await singapore.count('v1')).toBe(100);

    // Singapore withdraws 25 likes made in Tokyo while Tokyo takes 10 more: its shard goes
    // negative, the sum does not, and both replicas agree with the viewer items (the truth).
    await Promise.all([
      ...Array.from({ length: 25 }, (_, i) => singapore.unlike('v1', `t${i}`)),
      ...Array.from({ length: 10 }, (_, i) => tokyo.like('v1', `t-late${i}`)),
    ]);
    await global.replicate();
    for (const [store, table] of [
      [tokyo, tokyoTable],
      [singapore, singaporeTable],
    ] as const) {
      expect(await store.count('v1')).toBe(85);
      expect(await viewers(table)).toBe(85);
    }
    expect((await singaporeTable.get({ pk: 'video#v1', sk: 'count#ap-southeast-1' }))?.count).toBe(15);
  });

  it('one counter item written by both regions would lose increments (why the shards exist)', async () => {
    const { global, tokyoTable, singaporeTable } = await twoRegions();
    const shared = { pk: 'video#v1', sk: 'count#one-for-all' };
    for (let i = 0; i < 30; i++) await tokyoTable.update(shared, { add: { count: 1 } });
    for (let i = 0; i < 20; i++) await singaporeTable.update(shared, { add: { count: 1 } });
    await global.replicate();
    // 50 likes happened; last writer wins per item keeps one region's total.
    expect((await tokyoTable.get(shared))?.count).not.toBe(50);
    expect((await tokyoTable.get(shared))?.count).toBe((await singaporeTable.get(shared))?.count);
  });

  it('a replay in the other region after replication changes nothing', async () => {
    const { global, tokyo, singapore } = await twoRegions();
    await tokyo.like('v1', 'alice');
    await global.replicate();
    // A client retry routed to Singapore (failover) finds the like already there.
    expect(await singapore.like('v1', 'alice')).toBe('unchanged');
    await global.replicate();
    expect(await tokyo.count('v1')).toBe(1);
    expect(await singapore.count('v1')).toBe(1);
  });
});
