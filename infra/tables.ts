import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.js';

/** The services deployed as Lambdas, each owning one table (identity is Auth0's, not ours). */
export const SERVICE_NAMES = ['catalog', 'entitlement', 'media', 'engagement', 'notification'] as const;
export type DeployedService = (typeof SERVICE_NAMES)[number];

/** The indexes of the Table port (shared/ports/table.ts): `gsi1pk`/`gsi1sk` and `gsi2pk`/`gsi2sk`. */
export const INDEX_NAMES = ['gsi1', 'gsi2'] as const;

export interface ServiceTable {
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
  /** Where the outbox relay reads committed events. */
  streamArn: pulumi.Output<string>;
}

/** A global table keeps its name in every region, so both stacks derive it the same way. */
export const tableName = (service: DeployedService) => `kinema-${service}`;

/**
 * One DynamoDB global table per service. The primary stack creates each table with its replica in
 * the peer region (RPO: the replica trails by seconds); the secondary stack only looks up that
 * replica, since a second owner would fight the first over the replica set.
 */
export function serviceTables(config: StackConfig): Record<DeployedService, ServiceTable> {
  const entries = SERVICE_NAMES.map((service) => {
    const table = config.role === 'primary' ? createTable(service, config) : replicaOf(service);
    return [service, table] as const;
  });
  return Object.fromEntries(entries) as Record<DeployedService, ServiceTable>;
}

function createTable(service: DeployedService, config: StackConfig): ServiceTable {
  const keys = ['pk', 'sk', ...INDEX_NAMES.flatMap((index) => [`${index}pk`, `${index}sk`])];
  const table = new aws.dynamodb.Table(
    `${service}-table`,
    {
      name: tableName(service),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      rangeKey: 'sk',
      attributes: keys.map((name) => ({ name, type: 'S' })),
      // keySchemas, not the deprecated hashKey/rangeKey of an index.
      globalSecondaryIndexes: INDEX_NAMES.map((index) => ({
        name: index,
        keySchemas: [
          { attributeName: `${index}pk`, keyType: 'HASH' },
          { attributeName: `${index}sk`, keyType: 'RANGE' },
        ],
        projectionType: 'ALL',
      })),
      pointInTimeRecovery: { enabled: true },
      ttl: { attributeName: 'ttl', enabled: true },
      // The outbox relay reads only NewImage, but a global table (version 2019.11.21) requires
      // the stream in NEW_AND_OLD_IMAGES mode, so NEW_IMAGE alone is not an option here.
      streamEnabled: true,
      streamViewType: 'NEW_AND_OLD_IMAGES',
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: true,
      // The replica is the standby's whole database: as protected from deletion as the table.
      replicas: [
        {
          regionName: config.peerRegion,
          pointInTimeRecovery: true,
          propagateTags: true,
          deletionProtectionEnabled: true,
        },
      ],
      tags: { service, 'kinema:role': config.role },
    },
    { protect: true },
  );
  return { name: table.name, arn: table.arn, streamArn: table.streamArn };
}

function replicaOf(service: DeployedService): ServiceTable {
  const replica = aws.dynamodb.getTableOutput({ name: tableName(service) });
  return { name: replica.name, arn: replica.arn, streamArn: replica.streamArn };
}
