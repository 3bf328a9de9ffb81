import { DynamoDBClient, GetItemCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DescribeEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { healthReport, regionChecks } from './health.js';

const ENV = {
  AWS_REGION: 'ap-southeast-1',
  TABLE_NAMES: ['kinema-catalog', 'kinema-media'],
  BUS_NAME: 'kinema',
  BUCKET_NAMES: ['kinema-app-media-ap-southeast-1'],
};

describe('the regional /healthz', () => {
  const dynamo = mockClient(DynamoDBClient);
  const events = mockClient(EventBridgeClient);
  const s3 = mockClient(S3Client);
  beforeEach(() => {
    dynamo.reset();
    events.reset();
    s3.reset();
    dynamo.on(GetItemCommand).resolves({ ConsumedCapacity: undefined });
    events.on(DescribeEventBusCommand).resolves({
      Name: 'kinema',
      Arn: 'arn:aws:events:ap-southeast-1:123456789012:event-bus/kinema',
    });
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'ap-southeast-1' });
  });
  const clients = () => ({
    dynamo: new DynamoDBClient({ region: 'ap-southeast-1' }),
    events: new EventBridgeClient({ region: 'ap-southeast-1' }),
    s3: new S3Client({ region: 'ap-southeast-1' }),
  });

  it('is ok when every table, the bus and every bucket answer', async () => {
    const report = await healthReport('ap-southeast-1', regionChecks(ENV, clients()));
    expect(report).toEqual({
      status: 'ok',
      region: 'ap-southeast-1',
      checks: {
        'table:kinema-catalog': 'ok',
        'table:kinema-media': 'ok',
        'bus:kinema': 'ok',
        'bucket:kinema-app-media-ap-southeast-1': 'ok',
      },
    });
    expect(dynamo.commandCalls(GetItemCommand).map((call) => call.args[0].input.TableName)).toEqual([
      'kinema-catalog',
      'kinema-media',
    ]);
  });

  it('fails, naming the part, when a table is gone', async () => {
    dynamo
      .on(GetItemCommand, { TableName: 'kinema-media' })
      .rejects(new ResourceNotFoundException({ $metadata: {}, message: 'Requested resource not found' }));
    const report = await healthReport('ap-southeast-1', regionChecks(ENV, clients()));
    expect(report.status).toBe('failing');
    expect(report.checks['table:kinema-media']).toBe('ResourceNotFoundException');
    expect(report.checks['table:kinema-catalog']).toBe('ok');
  });

  it('fails a dependency that does not answer in time', async () => {
    const report = await healthReport(
      'ap-southeast-1',
      [
        {
          name: 'slow',
          run: (signal) =>
            new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
        },
      ],
      20,
    );
    expect(report).toEqual({ status: 'failing', region: 'ap-southeast-1', checks: { slow: 'no answer within 20 ms' } });
  });
});
