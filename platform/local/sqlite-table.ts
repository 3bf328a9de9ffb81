import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { EventEnvelope } from '#shared/events/define.js';
import { ConditionFailedError, invalidInput } from '#shared/errors.js';
import {
  checkChanges,
  checkConditions,
  checkEvents,
  checkItem,
  checkKey,
  checkKeys,
  checkQuery,
  checkTransactSize,
  compareUtf8,
  decodeCursor,
  encodeCursor,
  isExpired,
} from '#shared/ports/table-rules.js';
import type { Changes, Condition, Item, Json, Key, Page, Query, Table, Write } from '#shared/ports/table.js';

export interface OutboxRow {
  seq: number;
  envelope: EventEnvelope;
}

/** The local Table plus what the standalone runtime needs around it. */
export type SqliteTable = Table & {
  close(): void;
  /** The transactional outbox: events committed by `transact`, in commit order, until relayed. */
  outbox: {
    pending(limit: number): OutboxRow[];
    markRelayed(seqs: number[]): void;
  };
  /** Deletes expired items (reads already hide them) and old relayed outbox rows; returns the items deleted. */
  sweepExpired(): number;
  /** Calls the listener after each commit in this process that added outbox rows; returns an unsubscribe. */
  onCommit(listener: () => void): () => void;
};

/** Prepared query statements kept at most (shapes × limits); past this the cache starts over. */
const MAX_QUERY_STATEMENTS = 500;

/** Relayed outbox rows are kept a while for inspection, then swept. */
const RELAYED_RETENTION_MS = 7 * 24 * 3600 * 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS items (
  pk TEXT NOT NULL,
  sk TEXT NOT NULL,
  gsi1pk TEXT,
  gsi1sk TEXT,
  gsi2pk TEXT,
  gsi2sk TEXT,
  ttl REAL,
  body TEXT NOT NULL,
  PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL AND gsi1sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL AND gsi2sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  envelope TEXT NOT NULL,
  relayed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (seq) WHERE relayed = 0;
`;

/**
 * Makes the databases `sqliteTable` created without waiting durable: each file, its WAL and the
 * folders that name them flushed to disk, all at once in the thread pool.
 */
export async function syncCreatedDatabases(files: string[]): Promise<void> {
  const flush = async (path: string) => {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      // No WAL left means its frames are in the database file already.
      if (path.endsWith('-wal') && (error as { code?: string }).code === 'ENOENT') return;
      throw error;
    }
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  const folders = new Set(files.map((file) => dirname(file)));
  await Promise.all([...files.flatMap((file) => [flush(file), flush(`${file}-wal`)]), ...[...folders].map(flush)]);
}

interface Row {
  body: string;
  ttl: number | null;
}

/**
 * A DynamoDB-shaped Table on one SQLite file (better-sqlite3, WAL, `synchronous=FULL`, so a
 * returned write survives a power cut: the standalone runtime's RPO). Every write runs in a
 * `BEGIN IMMEDIATE` transaction, so conditions and atomic adds hold across processes too; the
 * outbox rows of `transact` commit in the same transaction as the writes.
 *
 * `file` may be `':memory:'` for throw-away tables in tests. `now` (ms) decides what `ttl` hides.
 *
 * `created`: when given, a file this call creates is set up (WAL mode, schema) without waiting for
 * the disk and its path is pushed here; the caller then owes `syncCreatedDatabases(created)` before
 * anything writes to it. A start that creates several tables thus waits for their fsyncs at once
 * instead of one after another. Every later commit is `synchronous=FULL`, as always.
 */
export function sqliteTable(options: { file: string; now?: () => number; created?: string[] }): SqliteTable {
  const now = options.now ?? Date.now;
  const deferSync = options.created !== undefined && options.file !== ':memory:' && !existsSync(options.file);
  const db = new Database(options.file);
  if (deferSync) db.pragma('synchronous = OFF'); // the journal mode switch and the schema: flushed later
  db.pragma('journal_mode = WAL');
  if (!deferSync) db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // One transaction for the whole schema: a first start commits (and fsyncs) once, not per statement.
  db.transaction(() => db.exec(SCHEMA))();
  if (deferSync) {
    db.pragma('synchronous = FULL');
    options.created!.push(options.file);
  }

  const selectItem = db.prepare<[string, string], Row>('SELECT body, ttl FROM items WHERE pk = ? AND sk = ?');
  const upsertItem = db.prepare(
    `INSERT INTO items (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ttl, body)
     VALUES (@pk, @sk, @gsi1pk, @gsi1sk, @gsi2pk, @gsi2sk, @ttl, @body)
     ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk,
       gsi2pk = excluded.gsi2pk, gsi2sk = excluded.gsi2sk, ttl = excluded.ttl, body = excluded.body`,
  );
  const deleteItem = db.prepare<[string, string]>('DELETE FROM items WHERE pk = ? AND sk = ?');
  // Re-emitting an event id already in the outbox is the same event: keep the first.
  const insertOutbox = db.prepare<[string, string, number]>(
    'INSERT INTO outbox (id, envelope, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  const selectPending = db.prepare<[number], { seq: number; envelope: string }>(
    'SELECT seq, envelope FROM outbox WHERE relayed = 0 ORDER BY seq LIMIT ?',
  );
  const markRelayed = db.prepare<[number]>('UPDATE outbox SET relayed = 1 WHERE seq = ?');
  const sweepItems = db.prepare<[number]>('DELETE FROM items WHERE ttl IS NOT NULL AND ttl <= ?');
  const sweepOutbox = db.prepare<[number]>('DELETE FROM outbox WHERE relayed = 1 AND created_at < ?');

  const listeners = new Set<() => void>();
  // Query shapes are few (index × sort condition × direction × cursor × limit), so their statements
  // are kept; a caller cycling through many limits only empties the cache now and then.
  const queries = new Map<string, Database.Statement<(string | number)[], { body: string }>>();

  function load(key: Key): Item | undefined {
    const row = selectItem.get(key.pk, key.sk);
    if (!row || isExpired(row, now())) return undefined;
    return JSON.parse(row.body) as Item;
  }

  function store(item: Item): void {
    const text = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : null);
    upsertItem.run({
      pk: item.pk,
      sk: item.sk,
      gsi1pk: text('gsi1pk'),
      gsi1sk: text('gsi1sk'),
      gsi2pk: text('gsi2pk'),
      gsi2sk: text('gsi2sk'),
      ttl: typeof item.ttl === 'number' ? item.ttl : null,
      body: JSON.stringify(item),
    });
  }

  function holds(current: Item | undefined, condition: Condition): boolean {
    switch (condition.kind) {
      case 'notExists':
        return current === undefined;
      case 'exists':
        return current !== undefined;
      case 'equals':
        return (
          current !== undefined && condition.attribute in current && current[condition.attribute] === condition.value
        );
      case 'lessThan': {
        const actual = current?.[condition.attribute];
        if (typeof actual === 'number' && typeof condition.value === 'number') return actual < condition.value;
        if (typeof actual === 'string' && typeof condition.value === 'string') {
          return compareUtf8(actual, condition.value) < 0;
        }
        return false; // missing or of another type: DynamoDB's comparison is false too
      }
    }
  }

  function ensure(current: Item | undefined, when: Condition[], key: Key): void {
    for (const condition of when) {
      if (!holds(current, condition)) {
        throw new ConditionFailedError(`condition ${condition.kind} failed on (${key.pk}, ${key.sk})`);
      }
    }
  }

  function applyPut(item: Item, when: Condition[]): void {
    ensure(load(item), when, item);
    store(item);
  }

  function applyUpdate(key: Key, changes: Required<Changes>, when: Condition[]): Item {
    const current = load(key);
    ensure(current, when, key);
    const next: Record<string, Json | undefined> = { ...(current ?? {}), ...changes.set, pk: key.pk, sk: key.sk };
    for (const [name, delta] of Object.entries(changes.add)) {
      const value = next[name] ?? 0;
      if (typeof value !== 'number') throw invalidInput(`cannot add to ${name}: it is not a number`);
      next[name] = value + delta;
    }
    for (const name of changes.remove) delete next[name];
    const item = checkItem(next as Item);
    store(item);
    return item;
  }

  function applyDelete(key: Key, when: Condition[]): void {
    if (when.length > 0) ensure(load(key), when, key);
    deleteItem.run(key.pk, key.sk);
  }

  // One read transaction: one snapshot and one lock for the whole batch instead of one per key.
  const loadManyTx = db.transaction((keys: Key[]) => keys.map(load));
  const putTx = db.transaction(applyPut);
  const updateTx = db.transaction(applyUpdate);
  const deleteTx = db.transaction(applyDelete);

  type Checked =
    | { kind: 'put'; item: Item; when: Condition[] }
    | { kind: 'update'; key: Key; changes: Required<Changes>; when: Condition[] }
    | { kind: 'delete'; key: Key; when: Condition[] }
    | { kind: 'check'; key: Key; when: Condition[] };

  function checkWrite(write: Write): Checked {
    if ('put' in write) return { kind: 'put', item: checkItem(write.put), when: checkConditions(write.when) };
    if ('update' in write) {
      return {
        kind: 'update',
        key: checkKey(write.update),
        changes: checkChanges(write.changes),
        when: checkConditions(write.when),
      };
    }
    if ('delete' in write) return { kind: 'delete', key: checkKey(write.delete), when: checkConditions(write.when) };
    if ('check' in write) return { kind: 'check', key: checkKey(write.check), when: checkConditions(write.when) };
    throw invalidInput('a write is one of put, update, delete or check');
  }

  const transactTx = db.transaction((writes: Checked[], events: EventEnvelope[]) => {
    for (const write of writes) {
      if (write.kind === 'put') applyPut(write.item, write.when);
      else if (write.kind === 'update') applyUpdate(write.key, write.changes, write.when);
      else if (write.kind === 'delete') applyDelete(write.key, write.when);
      else ensure(load(write.key), write.when, write.key);
    }
    const at = now();
    for (const event of events) insertOutbox.run(event.id, JSON.stringify(event), at);
  });

  const markRelayedTx = db.transaction((seqs: number[]) => {
    for (const seq of seqs) markRelayed.run(seq);
  });

  function notify(): void {
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // A listener is a wake-up call; its failure must not turn a committed write into an error.
      }
    }
  }

  function query(input: Query): Page {
    const q = checkQuery(input);
    const [partitionColumn, sortColumn] = q.index ? [`${q.index}pk`, `${q.index}sk`] : ['pk', 'sk'];
    const where = [`${partitionColumn} = ?`, '(ttl IS NULL OR ttl > ?)'];
    const params: (string | number)[] = [q.partition, now() / 1000];
    if (q.index) where.push(`${sortColumn} IS NOT NULL`);
    const sort = q.sort;
    if (sort) {
      if ('beginsWith' in sort) {
        where.push(`${sortColumn} >= ? AND substr(${sortColumn}, 1, length(?)) = ?`);
        params.push(sort.beginsWith, sort.beginsWith, sort.beginsWith);
      } else if ('between' in sort) {
        where.push(`${sortColumn} BETWEEN ? AND ?`);
        params.push(...sort.between);
      } else if ('gt' in sort) {
        where.push(`${sortColumn} > ?`);
        params.push(sort.gt);
      } else if ('gte' in sort) {
        where.push(`${sortColumn} >= ?`);
        params.push(sort.gte);
      } else if ('lt' in sort) {
        where.push(`${sortColumn} < ?`);
        params.push(sort.lt);
      } else {
        where.push(`${sortColumn} <= ?`);
        params.push(sort.lte);
      }
    }
    const direction = q.descending ? 'DESC' : 'ASC';
    const after = q.descending ? '<' : '>';
    // The order is total (index ties broken by the table key) so a cursor resumes exactly.
    const order = q.index ? [sortColumn, 'pk', 'sk'] : ['sk'];
    if (q.cursor) {
      const last = decodeCursor(q.cursor, partitionColumn, q.partition);
      const values = order.map((column) => last[column]);
      if (values.some((value) => value === undefined)) throw invalidInput('invalid cursor');
      where.push(`(${order.join(', ')}) ${after} (${values.map(() => '?').join(', ')})`);
      params.push(...(values as string[]));
    }
    // The limit is written into the SQL (an integer 1–1000, checked above), not bound: SQLite's
    // planner reads a bound LIMIT, so rebinding it expires the statement and every call re-parsed
    // and re-planned it (~60 % of the query's time in a profile of `GET /me`).
    const sql = `SELECT body FROM items WHERE ${where.join(' AND ')}
         ORDER BY ${order.map((column) => `${column} ${direction}`).join(', ')} LIMIT ${q.limit + 1}`;
    let statement = queries.get(sql);
    if (!statement) {
      if (queries.size >= MAX_QUERY_STATEMENTS) queries.clear();
      statement = db.prepare<(string | number)[], { body: string }>(sql);
      queries.set(sql, statement);
    }
    const rows = statement.all(...params);
    const items = rows.slice(0, q.limit).map((row) => JSON.parse(row.body) as Item);
    const last = items[items.length - 1];
    if (rows.length <= q.limit || !last) return { items };
    const cursorKey: Record<string, string> = { pk: last.pk, sk: last.sk };
    if (q.index) {
      cursorKey[partitionColumn] = q.partition;
      cursorKey[sortColumn] = last[sortColumn] as string;
    }
    return { items, cursor: encodeCursor(cursorKey) };
  }

  return {
    async get(key) {
      return load(checkKey(key));
    },
    async getMany(keys) {
      const checked = checkKeys(keys);
      return checked.length === 0 ? [] : loadManyTx.deferred(checked);
    },
    async put(item, when) {
      putTx.immediate(checkItem(item), checkConditions(when));
    },
    async update(key, changes, when) {
      return updateTx.immediate(checkKey(key), checkChanges(changes), checkConditions(when));
    },
    async delete(key, when) {
      deleteTx.immediate(checkKey(key), checkConditions(when));
    },
    async query(input) {
      return query(input);
    },
    async transact(writes, options = {}) {
      const events = checkEvents(options.events);
      checkTransactSize(writes, events);
      const checked = writes.map(checkWrite);
      transactTx.immediate(checked, events);
      if (events.length > 0) notify();
    },
    outbox: {
      pending(limit) {
        return selectPending
          .all(limit)
          .map((row) => ({ seq: row.seq, envelope: JSON.parse(row.envelope) as EventEnvelope }));
      },
      markRelayed(seqs) {
        markRelayedTx.immediate(seqs);
      },
    },
    sweepExpired() {
      const at = now();
      sweepOutbox.run(at - RELAYED_RETENTION_MS);
      return sweepItems.run(at / 1000).changes;
    },
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      listeners.clear();
      db.close();
    },
  };
}
