import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { fileURLToPath } from 'node:url';
import type { StackConfig } from './config.js';
import type { DeployedService } from './tables.js';

/**
 * Where a service's Lambda bundle lands: `npm run build:lambda` (scripts/build-lambdas.ts) bundles
 * `runtime/aws/<name>.ts` to `dist/lambda/<name>/index.mjs` (+ its source map). Without a
 * build, `pulumi up` fails on the missing folder rather than deploying a stale one.
 */
export const bundlePath = (service: DeployedService | 'health') =>
  fileURLToPath(new URL(`../dist/lambda/${service}`, import.meta.url));

/** Where `npm run build:lambda` puts the ffprobe layer's content (`bin/ffprobe`, /opt/bin/ffprobe at run time). */
export const FFPROBE_LAYER_PATH = fileURLToPath(new URL('../dist/layers/ffprobe', import.meta.url));

/** The exports of `runtime/aws/<name>.ts` that functions run (file `index.mjs`). */
export const HANDLERS = {
  /** API Gateway (HTTP API) → the service's Hono app. */
  http: 'index.handler',
  /** EventBridge rules built from the service's subscriptions. */
  events: 'index.onEvent',
} as const;

export interface NodeFunctionArgs {
  /** The deployed name, e.g. `kinema-media-events`; its log group is `/aws/lambda/<name>`. */
  functionName: string;
  service: DeployedService | 'health';
  handler: string;
  role: aws.iam.Role;
  logGroup: aws.cloudwatch.LogGroup;
  environment: Record<string, pulumi.Input<string>>;
  timeout: number;
  memorySize?: number;
  /** arm64 unless the function runs an x86-64 binary (the media probe's packaged ffprobe). */
  architecture?: 'arm64' | 'x86_64';
  /** Layers (the probe's ffprobe); none by default. */
  layers?: pulumi.Input<string>[];
  /** The role's policy: the function must not run before it may do its work. */
  dependsOn: pulumi.Resource[];
}

/** The log group a function writes to, created first so its retention applies from the start. */
export function functionLogGroup(resourceName: string, functionName: string, config: StackConfig) {
  return new aws.cloudwatch.LogGroup(resourceName, {
    name: `/aws/lambda/${functionName}`,
    retentionInDays: config.logRetentionDays,
  });
}

/** One Node.js 22 function (arm64 by default) running an export of a service's bundle. */
export function nodeFunction(resourceName: string, args: NodeFunctionArgs) {
  return new aws.lambda.Function(
    resourceName,
    {
      name: args.functionName,
      runtime: aws.lambda.Runtime.NodeJS22dX,
      architectures: [args.architecture ?? 'arm64'],
      handler: args.handler,
      code: new pulumi.asset.FileArchive(bundlePath(args.service)),
      ...(args.layers ? { layers: args.layers } : {}),
      role: args.role.arn,
      memorySize: args.memorySize ?? 1024,
      timeout: args.timeout,
      loggingConfig: { logFormat: 'JSON', logGroup: args.logGroup.name },
      environment: { variables: { ...args.environment, NODE_OPTIONS: '--enable-source-maps' } },
      tags: { service: args.service },
    },
    { dependsOn: [...args.dependsOn, args.logGroup] },
  );
}

/**
 * For a function invoked asynchronously (EventBridge rules, schedules): after Lambda's two retries,
 * the event goes to the queue (whose alarm pages), not into the void.
 */
export function onFailureToQueue(resourceName: string, fn: aws.lambda.Function, queueArn: pulumi.Input<string>) {
  return new aws.lambda.FunctionEventInvokeConfig(resourceName, {
    functionName: fn.name,
    maximumRetryAttempts: 2,
    maximumEventAgeInSeconds: 6 * 3600,
    destinationConfig: { onFailure: { destination: queueArn } },
  });
}
