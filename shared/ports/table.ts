import type { EventEnvelope } from '../events/define.js';

/**
 * A DynamoDB-shaped table. Every item has a partition key `pk` and a sort key `sk`; two optional
 * secondary indexes read `gsi1pk`/`gsi1sk` and `gsi2pk`/`gsi2sk`; `ttl` (epoch seconds) expires an
 * item. Values are JSON: strings, numbers, booleans, null, arrays and objects.
 *
 * Adapters: `sqliteTable` (platform/local) and `dynamoTable` (platform/aws). One contract suite
 * (`test/contract/table.contract.ts`) runs on both.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Key {
  pk: string;
  sk: string;
}

export type Item = Key & {
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk?: string;
  gsi2sk?: string;
  /** Epoch seconds after which the item is gone: never returned by reads, swept later. */
  ttl?: number;
  [attribute: string]: Json | undefined;
};

/** A write's precondition; several are AND-ed. Failing one throws `ConditionFailedError`. */
export type Condition =
  | { kind: 'notExists' }
  | { kind: 'exists' }
  | { kind: 'equals'; attribute: string; value: string | number | boolean | null }
  | { kind: 'lessThan'; attribute: string; value: number | string };

export interface Changes {
  /** Attributes to set (top-level). */
  set?: Record<string, Json>;
  /** Atomic numeric increments; a missing attribute counts as 0. */
  add?: Record<string, number>;
  /** Attributes to remove. */
  remove?: string[];
}

export type SortKeyCondition =
  | { beginsWith: string }
  | { between: [string, string] }
  | { gt: string }
  | { gte: string }
  | { lt: string }
  | { lte: string };

export interface Query {
  /** The partition to read: `pk` on the table, `gsi1pk`/`gsi2pk` on an index. */
  partition: string;
  index?: 'gsi1' | 'gsi2';
  sort?: SortKeyCondition;
  /** Newest first when the sort key is time ordered. */
  descending?: boolean;
  /** At most this many items (1..1000). */
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface Page<T = Item> {
  items: T[];
  /** Present when more items may follow. */
  cursor?: string;
}

export type Write =
  | { put: Item; when?: Condition[] }
  | { update: Key; changes: Changes; when?: Condition[] }
  | { delete: Key; when?: Condition[] }
  | { check: Key; when: Condition[] };

export interface TransactOptions {
  /** Events committed with the writes, all or nothing (the transactional outbox). */
  events?: EventEnvelope[];
}

/** Writes plus events in one transaction may not exceed DynamoDB's limit. */
export const MAX_TRANSACT_ITEMS = 100;

/** Keys one `getMany` reads (DynamoDB's BatchGetItem takes 100). */
export const MAX_GET_MANY = 100;

export interface Table {
  get(key: Key): Promise<Item | undefined>;
  /**
   * Several items by key in one round (DynamoDB BatchGetItem; one read transaction on SQLite):
   * the answer lines up with `keys`, undefined where an item is absent or expired. At most
   * `MAX_GET_MANY` keys; a key may repeat.
   */
  getMany(keys: Key[]): Promise<(Item | undefined)[]>;
  put(item: Item, when?: Condition[]): Promise<void>;
  /** Applies the changes (creating the item when absent unless a condition forbids) and returns it. */
  update(key: Key, changes: Changes, when?: Condition[]): Promise<Item>;
  delete(key: Key, when?: Condition[]): Promise<void>;
  query(query: Query): Promise<Page>;
  /** All writes and events commit together or none does. */
  transact(writes: Write[], options?: TransactOptions): Promise<void>;
}
