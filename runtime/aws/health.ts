import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { z } from 'zod';
import { parseConfig } from '#shared/config.js';

/** One dependency the region cannot serve without, and how to touch it cheaply. */
export interface HealthCheck {
  name: string;
  run(signal: AbortSignal): Promise<unknown>;
}

export interface HealthReport {
  status: 'ok' | 'failing';
  region: string;
  checks: Record<string, 'ok' | string>;
}

/**
 * Runs every check at once, each bounded by `timeoutMs`: the region is healthy only if all
 * answer. Route 53 reads the status code (200 or 503); the body says which part failed.
 */
export async function healthReport(region: string, checks: HealthCheck[], timeoutMs = 2000): Promise<HealthReport> {
  const outcomes = await Promise.all(
    checks.map(async (check) => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        await check.run(signal);
        return [check.name, 'ok'] as const;
      } catch (error) {
        const reason = signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : error instanceof Error
            ? error.name
            : 'failed';
        return [check.name, reason] as const;
      }
    }),
  );
  const failing = outcomes.some(([, outcome]) => outcome !== 'ok');
  return { status: failing ? 'failing' : 'ok', region, checks: Object.fromEntries(outcomes) };
}

/** What infra/health.ts puts in the function's environment: the region's real dependencies. */
const HealthEnv = z.object({
  AWS_REGION: z.string().min(1),
  TABLE_NAMES: z.string().transform((names) => names.split(',').filter(Boolean)),
  BUS_NAME: z.string().min(1),
  BUCKET_NAMES: z.string().transform((names) => names.split(',').filter(Boolean)),
});

/** The region's checks: each table answers a read, the bus exists, each bucket answers. */
export function regionChecks(
  env: z.output<typeof HealthEnv>,
  clients = { dynamo: new DynamoDBClient({}), events: new EventBridgeClient({}), s3: new S3Client({}) },
): HealthCheck[] {
  return [
    ...env.TABLE_NAMES.map((table) => ({
      name: `table:${table}`,
      // A strongly consistent read of a key nobody writes: the table answers, or the region does not.
      run: (signal: AbortSignal) =>
        clients.dynamo.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: { S: 'health' }, sk: { S: 'health' } },
            ConsistentRead: true,
          }),
          { abortSignal: signal },
        ),
    })),
    {
      name: `bus:${env.BUS_NAME}`,
      run: (signal: AbortSignal) =>
        clients.events.send(new DescribeEventBusCommand({ Name: env.BUS_NAME }), { abortSignal: signal }),
    },
    ...env.BUCKET_NAMES.map((bucket) => ({
      name: `bucket:${bucket}`,
      run: (signal: AbortSignal) => clients.s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }),
    })),
  ];
}

let checks: { env: z.output<typeof HealthEnv>; checks: HealthCheck[] } | undefined;
const regional = () => {
  if (!checks) {
    const env = parseConfig(HealthEnv, process.env);
    checks = { env, checks: regionChecks(env) };
  }
  return checks;
};

/** `GET /healthz` on the region's HTTP API (Route 53's health check target). Never cached. */
export const app = new Hono().get('/healthz', async (c) => {
  const { env, checks: all } = regional();
  const report = await healthReport(env.AWS_REGION, all);
  c.header('cache-control', 'no-store');
  return c.json(report, report.status === 'ok' ? 200 : 503);
});

export const handler = handle(app);
