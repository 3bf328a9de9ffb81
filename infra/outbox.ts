import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { deadLetterQueue, pipeFailureAlarm } from './alarms.js';
import { bus } from './bus.js';
import type { StackConfig } from './config.js';
import { policyDocument, serviceAssumeRole } from './iam.js';
import type { DeployedService, ServiceTable } from './tables.js';

/**
 * How an outbox row looks in a service table, as the DynamoDB Table adapter writes it in the same
 * transaction as the state change (platform/aws/dynamo-table.ts): `pk` = `outbox#<event id>`,
 * `envelope` = the EventBridge envelope as a map, `ttl` to clear it later (its REMOVE record is not
 * relayed). A map's detail reaches the stream in DynamoDB's typed form (`{"S": …}`), which the
 * bus cannot carry as an event's detail, so the relay also needs `detailJson`: the same detail as
 * JSON text, which the input template inserts unquoted, i.e. as JSON.
 */
export const OUTBOX_ROW = {
  pkPrefix: 'outbox#',
  source: 'envelope.M.source.S',
  detailType: 'envelope.M.detail-type.S',
  time: 'envelope.M.time.S',
  detail: 'detailJson.S',
  /** `kinema:event:<producer's id>`, carried in the bus event's `resources` for the consumers' inbox. */
  eventRef: 'eventRef.S',
} as const;

const image = (path: string) => `$.dynamodb.NewImage.${path}`;

/** Only new outbox rows travel; state rows and TTL deletions stay in the table. */
export const OUTBOX_FILTER = JSON.stringify({
  eventName: ['INSERT'],
  dynamodb: { NewImage: { pk: { S: [{ prefix: OUTBOX_ROW.pkPrefix }] } } },
});

/**
 * The bus target's parameters: source, detail-type and time come from the row by JSON path, and
 * the input template (an unquoted placeholder, so the JSON text is inserted as is) becomes the
 * event's detail.
 */
export const OUTBOX_TARGET = {
  source: image(OUTBOX_ROW.source),
  detailType: image(OUTBOX_ROW.detailType),
  time: image(OUTBOX_ROW.time),
  inputTemplate: `<${image(OUTBOX_ROW.detail)}>`,
  resources: [image(OUTBOX_ROW.eventRef)],
} as const;

/**
 * One EventBridge Pipe per service table: stream → filter → the bus. It runs in the active
 * region only (`kinema:activeRegion`); the other region's pipe exists but stays STOPPED, so an
 * event is published in one region, and failover is starting those pipes.
 */
export function outboxRelay(service: DeployedService, table: ServiceTable, config: StackConfig) {
  const deadLetters = deadLetterQueue(`${service}-outbox-dlq`, `kinema-${service}-outbox-dlq`);
  const role = new aws.iam.Role(`${service}-outbox-role`, {
    name: `kinema-${config.region}-${service}-outbox`,
    assumeRolePolicy: serviceAssumeRole('pipes.amazonaws.com'),
  });
  const policy = new aws.iam.RolePolicy(`${service}-outbox-policy`, {
    role: role.id,
    policy: policyDocument([
      // The four actions the Pipes documentation lists for a DynamoDB source. ListStreams is
      // authorised on the stream resource type, so it is held to this table's streams (a table
      // gets a new stream ARN whenever its stream is re-enabled).
      {
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        Resource: [table.streamArn],
      },
      { Action: ['dynamodb:ListStreams'], Resource: [pulumi.interpolate`${table.arn}/stream/*`] },
      { Action: ['events:PutEvents'], Resource: [bus.arn] },
      { Action: ['sqs:SendMessage'], Resource: [deadLetters.queue.arn] },
    ]),
  });
  const pipe = new aws.pipes.Pipe(
    `${service}-outbox`,
    {
      name: `kinema-${service}-outbox`,
      roleArn: role.arn,
      source: table.streamArn,
      target: bus.arn,
      desiredState: config.relayActive ? 'RUNNING' : 'STOPPED',
      sourceParameters: {
        dynamodbStreamParameters: {
          // Both regions start from the oldest record the stream keeps (24 h): a standby promoted
          // at failover relays the rows Tokyo committed but never relayed, and consumers drop the
          // ones Tokyo did relay (the inbox keeps the producer's id, carried in `resources`).
          startingPosition: 'TRIM_HORIZON',
          batchSize: 10,
          maximumRetryAttempts: 100,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: deadLetters.queue.arn },
        },
        filterCriteria: { filters: [{ pattern: OUTBOX_FILTER }] },
      },
      targetParameters: {
        inputTemplate: OUTBOX_TARGET.inputTemplate,
        eventbridgeEventBusParameters: {
          source: OUTBOX_TARGET.source,
          detailType: OUTBOX_TARGET.detailType,
          time: OUTBOX_TARGET.time,
          resources: [...OUTBOX_TARGET.resources],
        },
      },
    },
    { dependsOn: [policy] },
  );
  const failures = pipeFailureAlarm(`${service}-outbox-failed`, pipe.name);
  return { pipe, role, policy, deadLetters, failures };
}

export type OutboxRelay = ReturnType<typeof outboxRelay>;
