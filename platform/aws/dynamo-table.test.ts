import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '#shared/events/define.js';
import { ConditionFailedError } from '#shared/errors.js';
import { tableContract } from '#test/contract/table.contract.js';
import { startDynalite } from '#test/support/dynalite.js';
import type { LocalDynamo } from '#test/support/dynalite.js';
import { buildTransactInput, dynamoTable } from './dynamo-table.js';

let dynamo: LocalDynamo;
let client: DynamoDBDocumentClient;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = dynamo.documents;
});

afterAll(async () => {
  await dynamo?.close();
});

tableContract(
  'dynamoTable on dynalite',
  async () => {
    const name = `contract-${++tables}`;
    await dynamo.createTable(name);
    return {
      table: dynamoTable({ name, client }),
      cleanup: () => dynamo.deleteTable(name),
    };
  },
  { transactions: false },
);

const Purchased = defineEvent('entitlement', 'ContractPurchased', z.object({ videoId: z.string() }));

describe('dynamoTable transactions', () => {
  it('builds the exact TransactWriteItems input, outbox items included', () => {
    const now = Date.parse('2025-01-02T03:04:05.678Z');
    const event = Purchased.create({ videoId: 'v1' }, now, 'evt-1');
    const input = buildTransactInput(
      'kinema-entitlement',
      [
        {
          put: { pk: 'rental#u1', sk: 'v1', status: 'active', gsi1pk: 'user#u1', gsi1sk: '2025' },
          when: [{ kind: 'notExists' }],
        },
        {
          update: { pk: 'stats', sk: 'v1' },
          changes: { set: { name: 'x', status: 'ok' }, add: { rentals: 1 }, remove: ['ttl'] },
          when: [{ kind: 'equals', attribute: 'status', value: 'ok' }],
        },
        { delete: { pk: 'cart#u1', sk: 'v1' }, when: [{ kind: 'lessThan', attribute: 'at', value: 5 }] },
        { delete: { pk: 'plain', sk: 'delete' } },
        { check: { pk: 'account#u1', sk: 'profile' }, when: [{ kind: 'exists' }] },
      ],
      [event],
      now,
    );
    expect(input).toEqual({
      TransactItems: [
        {
          Put: {
            TableName: 'kinema-entitlement',
            Item: { pk: 'rental#u1', sk: 'v1', status: 'active', gsi1pk: 'user#u1', gsi1sk: '2025' },
            ConditionExpression: '(attribute_not_exists(#a0) OR #a1 <= :v0)',
            ExpressionAttributeNames: { '#a0': 'pk', '#a1': 'ttl' },
            ExpressionAttributeValues: { ':v0': now / 1000 },
          },
        },
        {
          Update: {
            TableName: 'kinema-entitlement',
            Key: { pk: 'stats', sk: 'v1' },
            UpdateExpression: 'SET #a0 = :v0, #a1 = :v1 ADD #a2 :v2 REMOVE #a3',
            ConditionExpression: '(#a1 = :v3 AND (attribute_not_exists(#a3) OR #a3 > :v4))',
            ExpressionAttributeNames: { '#a0': 'name', '#a1': 'status', '#a2': 'rentals', '#a3': 'ttl' },
            ExpressionAttributeValues: { ':v0': 'x', ':v1': 'ok', ':v2': 1, ':v3': 'ok', ':v4': now / 1000 },
          },
        },
        {
          Delete: {
            TableName: 'kinema-entitlement',
            Key: { pk: 'cart#u1', sk: 'v1' },
            ConditionExpression: '(#a0 < :v0 AND (attribute_not_exists(#a1) OR #a1 > :v1))',
            ExpressionAttributeNames: { '#a0': 'at', '#a1': 'ttl' },
            ExpressionAttributeValues: { ':v0': 5, ':v1': now / 1000 },
          },
        },
        { Delete: { TableName: 'kinema-entitlement', Key: { pk: 'plain', sk: 'delete' } } },
        {
          ConditionCheck: {
            TableName: 'kinema-entitlement',
            Key: { pk: 'account#u1', sk: 'profile' },
            ConditionExpression: '(attribute_exists(#a0) AND (attribute_not_exists(#a1) OR #a1 > :v0))',
            ExpressionAttributeNames: { '#a0': 'pk', '#a1': 'ttl' },
            ExpressionAttributeValues: { ':v0': now / 1000 },
          },
        },
        {
          Put: {
            TableName: 'kinema-entitlement',
            Item: {
              pk: 'outbox#evt-1',
              sk: 'event',
              envelope: {
                version: '0',
                id: 'evt-1',
                source: 'kinema.entitlement',
                'detail-type': 'ContractPurchased',
                time: '2025-01-02T03:04:05.678Z',
                resources: [],
                detail: { videoId: 'v1' },
              },
              detailJson: '{"videoId":"v1"}',
              eventRef: 'kinema:event:evt-1',
              ttl: Math.floor(now / 1000) + 24 * 3600,
            },
          },
        },
      ],
    });
  });

  it('sends one TransactWriteCommand and maps TransactionCanceledException to ConditionFailedError', async () => {
    const sent: unknown[] = [];
    const stub = {
      send: async (command: unknown) => {
        sent.push(command);
        throw Object.assign(
          new Error(
            'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]',
          ),
          {
            name: 'TransactionCanceledException',
            CancellationReasons: [
              { Code: 'None' },
              { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
            ],
          },
        );
      },
    } as unknown as DynamoDBDocumentClient;
    const table = dynamoTable({ name: 't', client: stub, now: () => 0 });
    await expect(
      table.transact([{ put: { pk: 'a', sk: 'a' } }, { check: { pk: 'b', sk: 'b' }, when: [{ kind: 'exists' }] }], {
        events: [Purchased.create({ videoId: 'v' }, 0)],
      }),
    ).rejects.toBeInstanceOf(ConditionFailedError);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(TransactWriteCommand);
    expect((sent[0] as TransactWriteCommand).input.TransactItems).toHaveLength(3);
  });

  it('asks BatchGetItem once per distinct key and again for the keys it left unprocessed', async () => {
    const sent: BatchGetCommand[] = [];
    const stub = {
      send: async (command: BatchGetCommand) => {
        sent.push(command);
        // DynamoDB's shape: what it read under Responses, the rest under UnprocessedKeys.
        if (sent.length === 1) {
          return {
            Responses: { t: [{ pk: 'a', sk: 's', n: 1 }] },
            UnprocessedKeys: { t: { Keys: [{ pk: 'b', sk: 's' }], ConsistentRead: true } },
          };
        }
        return { Responses: { t: [{ pk: 'b', sk: 's', n: 2 }] }, UnprocessedKeys: {} };
      },
    } as unknown as DynamoDBDocumentClient;
    const table = dynamoTable({ name: 't', client: stub, now: () => 0 });
    const got = await table.getMany([
      { pk: 'b', sk: 's' },
      { pk: 'a', sk: 's' },
      { pk: 'b', sk: 's' },
      { pk: 'c', sk: 's' },
    ]);
    expect(got.map((item) => item?.n)).toEqual([2, 1, 2, undefined]);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBeInstanceOf(BatchGetCommand);
    expect(sent[0]!.input.RequestItems?.t).toEqual({
      Keys: [
        { pk: 'b', sk: 's' },
        { pk: 'a', sk: 's' },
        { pk: 'c', sk: 's' },
      ],
      ConsistentRead: true,
    });
    expect(sent[1]!.input.RequestItems?.t?.Keys).toEqual([{ pk: 'b', sk: 's' }]);
  });

  it('lets other transaction failures through and sends nothing for an empty transaction', async () => {
    let calls = 0;
    const stub = {
      send: async () => {
        calls++;
        throw Object.assign(new Error('conflict [TransactionConflict]'), {
          name: 'TransactionCanceledException',
          CancellationReasons: [{ Code: 'TransactionConflict' }],
        });
      },
    } as unknown as DynamoDBDocumentClient;
    const table = dynamoTable({ name: 't', client: stub });
    await table.transact([]);
    expect(calls).toBe(0);
    await expect(table.transact([{ put: { pk: 'a', sk: 'a' } }])).rejects.toMatchObject({
      name: 'TransactionCanceledException',
    });
  });

  it('maps ConditionalCheckFailedException of a single write', async () => {
    const stub = {
      send: async () => {
        throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      },
    } as unknown as DynamoDBDocumentClient;
    await expect(
      dynamoTable({ name: 't', client: stub }).put({ pk: 'a', sk: 'a' }, [{ kind: 'notExists' }]),
    ).rejects.toBeInstanceOf(ConditionFailedError);
  });
});
