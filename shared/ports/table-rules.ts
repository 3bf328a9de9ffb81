import { z } from 'zod';
import { EventEnvelope } from '../events/define.js';
import { invalidInput } from '../errors.js';
import { MAX_GET_MANY, MAX_TRANSACT_ITEMS } from './table.js';
import type { Changes, Condition, Item, Json, Key, Query, Write } from './table.js';

/**
 * The input rules of the Table port, shared by both adapters so that a bad write fails the same
 * way (`invalid_input`) on SQLite and on DynamoDB instead of as a driver-specific error. The rules
 * are DynamoDB's: non-empty keys within its byte limits, string index keys, a numeric `ttl`, JSON
 * values, at most one operation per item in a transaction.
 */

const MAX_ITEM_BYTES = 400 * 1024;
const KEY_ATTRIBUTES = ['pk', 'sk'] as const;
const INDEX_ATTRIBUTES = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'] as const;

const keyString = (maxBytes: number) =>
  z
    .string()
    .min(1)
    .refine((value) => Buffer.byteLength(value) <= maxBytes, `at most ${maxBytes} bytes`);

const KeySchema = z.object({ pk: keyString(2048), sk: keyString(1024) });
const IndexKey = keyString(1024);
const Ttl = z.number().refine(Number.isFinite, 'a finite number of epoch seconds');
const AttributeName = z.string().min(1).max(255);
const JsonValue = z.json();

const ItemSchema = KeySchema.extend({
  gsi1pk: IndexKey.optional(),
  gsi1sk: IndexKey.optional(),
  gsi2pk: IndexKey.optional(),
  gsi2sk: IndexKey.optional(),
  ttl: Ttl.optional(),
}).catchall(JsonValue.optional());

const Scalar = z.union([z.string(), z.number().refine(Number.isFinite), z.boolean(), z.null()]);
const ConditionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('notExists') }),
  z.object({ kind: z.literal('exists') }),
  z.object({ kind: z.literal('equals'), attribute: AttributeName, value: Scalar }),
  z.object({ kind: z.literal('lessThan'), attribute: AttributeName, value: z.union([z.string(), z.number()]) }),
]);

const SortSchema = z.union([
  z.object({ beginsWith: z.string() }).strict(),
  z
    .object({ between: z.tuple([z.string(), z.string()]) })
    .strict()
    .refine(({ between: [low, high] }) => compareUtf8(low, high) <= 0, 'between needs low <= high'),
  z.object({ gt: z.string() }).strict(),
  z.object({ gte: z.string() }).strict(),
  z.object({ lt: z.string() }).strict(),
  z.object({ lte: z.string() }).strict(),
]);

const QuerySchema = z.object({
  partition: z.string().min(1),
  index: z.enum(['gsi1', 'gsi2']).optional(),
  sort: SortSchema.optional(),
  descending: z.boolean().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(8192).optional(),
});

export type CheckedQuery = z.infer<typeof QuerySchema> & { sort?: Query['sort'] };

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  let result: ReturnType<typeof schema.safeParse>;
  try {
    result = schema.safeParse(value);
  } catch (error) {
    // A cyclic value overflows the recursive JSON schema: it is not JSON either way.
    if (error instanceof RangeError) throw invalidInput(`${what} is not JSON (cyclic or too deep)`);
    throw error;
  }
  if (!result.success) throw invalidInput(`invalid ${what}`, z.treeifyError(result.error));
  return result.data;
}

/** DynamoDB orders and compares strings by their UTF-8 bytes (JS compares UTF-16 code units). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function checkKey(key: Key): Key {
  const { pk, sk } = parse(KeySchema, key, 'key');
  return { pk, sk };
}

/** A validated copy of the item; top-level `undefined` attributes are dropped (they mean "absent"). */
export function checkItem(item: Item): Item {
  const parsed = parse(ItemSchema, item, 'item') as Record<string, Json | undefined>;
  const clean: Record<string, Json> = {};
  for (const [name, value] of Object.entries(parsed)) if (value !== undefined) clean[name] = value;
  // DynamoDB's item limit is 400 KB of names and values; the JSON length is a close, safe proxy.
  if (Buffer.byteLength(JSON.stringify(clean)) > MAX_ITEM_BYTES) throw invalidInput('the item exceeds 400 KB');
  return clean as Item;
}

export function checkConditions(when: Condition[] | undefined): Condition[] {
  return parse(z.array(ConditionSchema).max(16), when ?? [], 'condition');
}

export function checkChanges(changes: Changes): Required<Changes> {
  const set = parse(z.record(AttributeName, JsonValue.optional()), changes.set ?? {}, 'set');
  const add = parse(
    z.record(AttributeName, z.number().refine(Number.isFinite, 'a finite number')),
    changes.add ?? {},
    'add',
  );
  const remove = parse(z.array(AttributeName), changes.remove ?? [], 'remove');
  for (const name of Object.keys(set)) if (set[name] === undefined) delete set[name];
  const named = [...Object.keys(set), ...Object.keys(add), ...remove];
  // DynamoDB's transactional Update needs an update expression; "ensure it exists" is a notExists put.
  if (named.length === 0) throw invalidInput('an update changes at least one attribute');
  if (new Set(named).size !== named.length) throw invalidInput('an attribute appears twice in one update');
  for (const name of named) {
    if ((KEY_ATTRIBUTES as readonly string[]).includes(name))
      throw invalidInput(`cannot change the key attribute ${name}`);
  }
  for (const name of INDEX_ATTRIBUTES) {
    if (name in add) throw invalidInput(`${name} is a string index key; it cannot be added to`);
    if (name in set) parse(IndexKey, set[name], name);
  }
  if ('ttl' in set) parse(Ttl, set.ttl, 'ttl');
  return { set: set as Record<string, Json>, add, remove };
}

/** The keys of one `getMany`: each a valid key, at most `MAX_GET_MANY` of them. */
export function checkKeys(keys: Key[]): Key[] {
  if (!Array.isArray(keys)) throw invalidInput('getMany takes an array of keys');
  if (keys.length > MAX_GET_MANY) throw invalidInput(`getMany reads at most ${MAX_GET_MANY} keys`);
  return keys.map(checkKey);
}

export function checkQuery(query: Query): CheckedQuery {
  return parse(QuerySchema, query, 'query') as CheckedQuery;
}

export function checkEvents(events: EventEnvelope[] | undefined): EventEnvelope[] {
  return (events ?? []).map((event) => parse(EventEnvelope, event, 'event') as EventEnvelope);
}

export function writeKey(write: Write): Key {
  if ('put' in write) return write.put;
  if ('update' in write) return write.update;
  if ('delete' in write) return write.delete;
  return write.check;
}

/**
 * DynamoDB's transaction rules: at most 100 items (writes plus outbox events) and never two
 * operations on the same item; checked before anything is sent so both adapters agree.
 */
export function checkTransactSize(writes: Write[], events: EventEnvelope[]): void {
  if (writes.length + events.length > MAX_TRANSACT_ITEMS) {
    throw invalidInput(`a transaction holds at most ${MAX_TRANSACT_ITEMS} writes and events`);
  }
  const seen = new Set<string>();
  for (const write of writes) {
    const { pk, sk } = writeKey(write);
    const id = JSON.stringify([pk, sk]);
    if (seen.has(id)) throw invalidInput(`two writes on the same item (${pk}, ${sk}) in one transaction`);
    seen.add(id);
  }
  const eventIds = new Set(events.map((event) => event.id));
  if (eventIds.size !== events.length) throw invalidInput('two events with the same id in one transaction');
}

/** Expired items (`ttl` at or before now) are gone for every read and every condition. */
export function isExpired(item: { ttl?: unknown }, nowMs: number): boolean {
  return typeof item.ttl === 'number' && item.ttl * 1000 <= nowMs;
}

/** Cursors are opaque to callers: base64url JSON of the last key read. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, partitionAttribute: string, partition: string): Record<string, string> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidInput('invalid cursor');
  }
  const key = parse(z.record(z.string(), z.string()), decoded, 'cursor');
  if (key[partitionAttribute] !== partition) throw invalidInput('the cursor belongs to another query');
  return key;
}
