import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
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
  decodeCursor,
  encodeCursor,
  isExpired,
} from '#shared/ports/table-rules.js';
import type { Changes, Condition, Item, Key, Page, Query, Table, Write } from '#shared/ports/table.js';

/** Outbox items only need to live until the stream has carried them to the bus. */
const OUTBOX_TTL_SECONDS = 24 * 3600;

type Values = Record<string, unknown>;

/**
 * Builds one request's expressions. Every attribute name goes through a `#aN` placeholder so
 * reserved words (`name`, `status`, `ttl`…) are always safe; values are `:vN`.
 */
function expressionBuilder(nowMs: number) {
  const names: Record<string, string> = {};
  const values: Values = {};
  const placeholders = new Map<string, string>();
  let nowPlaceholder: string | undefined;

  const name = (attribute: string): string => {
    let placeholder = placeholders.get(attribute);
    if (!placeholder) {
      placeholder = `#a${placeholders.size}`;
      placeholders.set(attribute, placeholder);
      names[placeholder] = attribute;
    }
    return placeholder;
  };
  const value = (input: unknown): string => {
    const placeholder = `:v${Object.keys(values).length}`;
    values[placeholder] = input;
    return placeholder;
  };
  const now = (): string => (nowPlaceholder ??= value(nowMs / 1000));
  // The item is there and its ttl has not passed (DynamoDB deletes expired items only eventually).
  const live = () => `(attribute_not_exists(${name('ttl')}) OR ${name('ttl')} > ${now()})`;

  const condition = (when: Condition): string => {
    switch (when.kind) {
      case 'notExists':
        return `(attribute_not_exists(${name('pk')}) OR ${name('ttl')} <= ${now()})`;
      case 'exists':
        return `(attribute_exists(${name('pk')}) AND ${live()})`;
      case 'equals':
        return `(${name(when.attribute)} = ${value(when.value)} AND ${live()})`;
      case 'lessThan':
        return `(${name(when.attribute)} < ${value(when.value)} AND ${live()})`;
    }
  };

  return {
    name,
    value,
    live,
    now,
    conditions: (when: Condition[]): string | undefined =>
      when.length > 0 ? when.map(condition).join(' AND ') : undefined,
    /** `SET #a = :v, … ADD #b :w, … REMOVE #c, …` */
    update(changes: Required<Changes>): string {
      const clauses: string[] = [];
      const set = Object.entries(changes.set).map(([attribute, input]) => `${name(attribute)} = ${value(input)}`);
      const add = Object.entries(changes.add).map(([attribute, delta]) => `${name(attribute)} ${value(delta)}`);
      const remove = changes.remove.map(name);
      if (set.length > 0) clauses.push(`SET ${set.join(', ')}`);
      if (add.length > 0) clauses.push(`ADD ${add.join(', ')}`);
      if (remove.length > 0) clauses.push(`REMOVE ${remove.join(', ')}`);
      return clauses.join(' ');
    },
    /** The names and values maps, present only when used (DynamoDB rejects empty ones). */
    attributes(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Values } {
      return {
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
      };
    },
  };
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

function transactItem(name: string, write: Write, nowMs: number): TransactItem {
  const expressions = expressionBuilder(nowMs);
  const when = checkConditions(write.when);
  const condition = (): { ConditionExpression?: string } => {
    const expression = expressions.conditions(when);
    return expression ? { ConditionExpression: expression } : {};
  };
  if ('put' in write) {
    const conditionExpression = condition();
    return {
      Put: { TableName: name, Item: checkItem(write.put), ...conditionExpression, ...expressions.attributes() },
    };
  }
  if ('update' in write) {
    const UpdateExpression = expressions.update(checkChanges(write.changes));
    const conditionExpression = condition();
    return {
      Update: {
        TableName: name,
        Key: checkKey(write.update),
        UpdateExpression,
        ...conditionExpression,
        ...expressions.attributes(),
      },
    };
  }
  if ('delete' in write) {
    const conditionExpression = condition();
    return {
      Delete: { TableName: name, Key: checkKey(write.delete), ...conditionExpression, ...expressions.attributes() },
    };
  }
  if ('check' in write) {
    const ConditionExpression = expressions.conditions(when);
    if (!ConditionExpression) throw invalidInput('a check needs at least one condition');
    return {
      ConditionCheck: { TableName: name, Key: checkKey(write.check), ConditionExpression, ...expressions.attributes() },
    };
  }
  throw invalidInput('a write is one of put, update, delete or check');
}

/**
 * The exact TransactWriteItems input for writes plus their outbox events: each event becomes one
 * more Put of `{pk: 'outbox#<id>', sk: 'event', envelope, detailJson, ttl}` in the same transaction, which
 * DynamoDB Streams → EventBridge Pipes carry to the bus. Pure, so tests can assert it; it applies
 * the Table port's input rules (throws `invalid_input`).
 *
 * Known difference from sqliteTable: an Update in a transaction on an item whose ttl has passed but
 * that DynamoDB has not deleted yet starts from the expired attributes (conditions still see it as
 * absent). A single `update()` does not have this gap.
 */
/** Prefix of the outbox row's `eventRef`, which the relay puts in the bus event's `resources`. */
export const OUTBOX_EVENT_REF = 'kinema:event:';

export function buildTransactInput(
  name: string,
  writes: Write[],
  events: EventEnvelope[],
  now: number,
): TransactWriteCommandInput {
  const envelopes = checkEvents(events);
  checkTransactSize(writes, envelopes);
  const ttl = Math.floor(now / 1000) + OUTBOX_TTL_SECONDS;
  return {
    TransactItems: [
      ...writes.map((write) => transactItem(name, write, now)),
      ...envelopes.map((envelope): TransactItem => ({
        Put: {
          TableName: name,
          // `detailJson` is the detail as JSON text: the stream carries maps in DynamoDB's typed form,
          // and the Pipe's input template places this string as the bus event's detail. `eventRef`
          // keeps the producer's id through the relay (the bus event's `resources`), since
          // EventBridge gives every relayed event a new id and the consumers' inbox needs the old one.
          Item: {
            pk: `outbox#${envelope.id}`,
            sk: 'event',
            envelope,
            detailJson: JSON.stringify(envelope.detail),
            eventRef: `${OUTBOX_EVENT_REF}${envelope.id}`,
            ttl,
          },
        },
      })),
    ],
  };
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : undefined;
}

/** Maps DynamoDB's failures to the port's typed errors; anything else is rethrown as is. */
export function mapDynamoError(error: unknown): never {
  const name = errorName(error);
  if (name === 'ConditionalCheckFailedException') throw new ConditionFailedError();
  if (name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    const message = error instanceof Error ? error.message : '';
    if (
      reasons?.some((reason) => reason?.Code === 'ConditionalCheckFailed') ||
      /ConditionalCheckFailed/.test(message)
    ) {
      throw new ConditionFailedError();
    }
  }
  if (name === 'ValidationException' && error instanceof Error && /incorrect data type/i.test(error.message)) {
    throw invalidInput(error.message);
  }
  throw error;
}

const INDEX_KEYS = { gsi1: ['gsi1pk', 'gsi1sk'], gsi2: ['gsi2pk', 'gsi2sk'] } as const;

/**
 * The Table port on one DynamoDB table (`pk`/`sk` string keys; GSIs `gsi1` on `gsi1pk`/`gsi1sk` and
 * `gsi2` on `gsi2pk`/`gsi2sk`, projecting all attributes; TTL enabled on `ttl`). Reads of the table
 * are strongly consistent; items whose ttl has passed are hidden from reads and conditions, because
 * DynamoDB deletes them only eventually. `now` (ms) defaults to `Date.now`.
 */
export function dynamoTable(options: { name: string; client: DynamoDBDocumentClient; now?: () => number }): Table {
  const { name: TableName, client } = options;
  const now = options.now ?? Date.now;

  async function send<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      return mapDynamoError(error);
    }
  }

  async function getRaw(key: Key): Promise<Item | undefined> {
    const output = await send(() => client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true })));
    return output.Item as Item | undefined;
  }

  async function updateOnce(key: Key, changes: Required<Changes>, when: Condition[], at: number): Promise<Item> {
    const expressions = expressionBuilder(at);
    const UpdateExpression = expressions.update(changes);
    // Never build on an expired leftover: the caller sees it as absent, so must the update.
    const guard = `(attribute_not_exists(${expressions.name('pk')}) OR ${expressions.live()})`;
    const ConditionExpression = [expressions.conditions(when), guard].filter(Boolean).join(' AND ');
    const output = await send(() =>
      client.send(
        new UpdateCommand({
          TableName,
          Key: key,
          UpdateExpression,
          ConditionExpression,
          ...expressions.attributes(),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return output.Attributes as Item;
  }

  /**
   * BatchGetItem (strongly consistent, as `get`): duplicates are asked once (DynamoDB refuses
   * them) and keys it leaves unprocessed are asked again after a short, growing pause.
   */
  async function getManyRaw(keys: Key[]): Promise<Map<string, Item>> {
    const id = (key: Key) => JSON.stringify([key.pk, key.sk]);
    const found = new Map<string, Item>();
    let pending = [...new Map(keys.map((key) => [id(key), { pk: key.pk, sk: key.sk }])).values()];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      if (attempt > 8) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
      const output = await send(() =>
        client.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: pending, ConsistentRead: true } } })),
      );
      for (const item of (output.Responses?.[TableName] ?? []) as Item[]) found.set(id(item), item);
      pending = (output.UnprocessedKeys?.[TableName]?.Keys ?? []) as Key[];
    }
    return found;
  }

  return {
    async get(key) {
      const item = await getRaw(checkKey(key));
      return item && !isExpired(item, now()) ? item : undefined;
    },

    async getMany(keys) {
      const checked = checkKeys(keys);
      if (checked.length === 0) return [];
      const found = await getManyRaw(checked);
      const at = now();
      return checked.map((key) => {
        const item = found.get(JSON.stringify([key.pk, key.sk]));
        return item && !isExpired(item, at) ? item : undefined;
      });
    },

    async put(item, when) {
      const expressions = expressionBuilder(now());
      const ConditionExpression = expressions.conditions(checkConditions(when));
      await send(() =>
        client.send(
          new PutCommand({
            TableName,
            Item: checkItem(item),
            ...(ConditionExpression ? { ConditionExpression } : {}),
            ...expressions.attributes(),
          }),
        ),
      );
    },

    async update(key, changes, when) {
      const checkedKey = checkKey(key);
      const checkedChanges = checkChanges(changes);
      const conditions = checkConditions(when);
      try {
        return await updateOnce(checkedKey, checkedChanges, conditions, now());
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        const at = now();
        const current = await getRaw(checkedKey);
        if (!current || !isExpired(current, at)) throw error;
        // An expired leftover blocked the guard: delete it (only if still expired) and try once more.
        const expressions = expressionBuilder(at);
        const ConditionExpression = `${expressions.name('ttl')} <= ${expressions.now()}`;
        await send(() =>
          client.send(
            new DeleteCommand({ TableName, Key: checkedKey, ConditionExpression, ...expressions.attributes() }),
          ),
        ).catch((deleteError: unknown) => {
          if (!(deleteError instanceof ConditionFailedError)) throw deleteError;
        });
        return updateOnce(checkedKey, checkedChanges, conditions, at);
      }
    },

    async delete(key, when) {
      const expressions = expressionBuilder(now());
      const ConditionExpression = expressions.conditions(checkConditions(when));
      await send(() =>
        client.send(
          new DeleteCommand({
            TableName,
            Key: checkKey(key),
            ...(ConditionExpression ? { ConditionExpression } : {}),
            ...expressions.attributes(),
          }),
        ),
      );
    },

    async query(input: Query): Promise<Page> {
      const q = checkQuery(input);
      const [partitionAttribute, sortAttribute] = q.index ? INDEX_KEYS[q.index] : (['pk', 'sk'] as const);
      const expressions = expressionBuilder(now());
      const partition = expressions.name(partitionAttribute);
      let keyCondition = `${partition} = ${expressions.value(q.partition)}`;
      const sort = q.sort;
      if (sort) {
        const s = expressions.name(sortAttribute);
        if ('beginsWith' in sort) keyCondition += ` AND begins_with(${s}, ${expressions.value(sort.beginsWith)})`;
        else if ('between' in sort) {
          keyCondition += ` AND ${s} BETWEEN ${expressions.value(sort.between[0])} AND ${expressions.value(sort.between[1])}`;
        } else if ('gt' in sort) keyCondition += ` AND ${s} > ${expressions.value(sort.gt)}`;
        else if ('gte' in sort) keyCondition += ` AND ${s} >= ${expressions.value(sort.gte)}`;
        else if ('lt' in sort) keyCondition += ` AND ${s} < ${expressions.value(sort.lt)}`;
        else keyCondition += ` AND ${s} <= ${expressions.value(sort.lte)}`;
      }
      let ExclusiveStartKey: Record<string, string> | undefined;
      if (q.cursor) {
        ExclusiveStartKey = decodeCursor(q.cursor, partitionAttribute, q.partition);
        const expected = new Set(['pk', 'sk', partitionAttribute, sortAttribute]);
        const present = Object.keys(ExclusiveStartKey);
        if (present.length !== expected.size || present.some((attribute) => !expected.has(attribute))) {
          throw invalidInput('invalid cursor');
        }
      }
      const output = await send(() =>
        client.send(
          new QueryCommand({
            TableName,
            ...(q.index ? { IndexName: q.index } : { ConsistentRead: true }),
            KeyConditionExpression: keyCondition,
            FilterExpression: expressions.live(),
            ...expressions.attributes(),
            ScanIndexForward: !q.descending,
            Limit: q.limit,
            ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
          }),
        ),
      );
      const items = (output.Items ?? []) as Item[];
      const last = output.LastEvaluatedKey as Record<string, string> | undefined;
      return last ? { items, cursor: encodeCursor(last) } : { items };
    },

    async transact(writes, options = {}) {
      const input = buildTransactInput(TableName, writes, options.events ?? [], now());
      if ((input.TransactItems ?? []).length === 0) return;
      await send(() => client.send(new TransactWriteCommand(input)));
    },
  };
}
