import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { fileURLToPath } from 'node:url';
import { catalogSubscriptions } from '../services/catalog/src/subscribers.js';
import { engagementSubscriptions } from '../services/engagement/src/subscribers.js';
import { entitlementSubscriptions } from '../services/entitlement/src/subscribers.js';
import { mediaSubscriptions } from '../services/media/src/subscribers.js';
import { notificationSubscriptions } from '../services/notification/src/subscribers.js';
import type { Subscription } from '../shared/ports/bus.js';
import { httpApi } from './api.js';
import { bus, ruleFor } from './bus.js';
import type { StackConfig } from './config.js';
import { policyDocument, serviceAssumeRole } from './iam.js';
import { INDEX_NAMES, SERVICE_NAMES, type DeployedService, type ServiceTable } from './tables.js';

/** Each service's consumed events, the same lists its Lambda dispatches on. */
export const SUBSCRIPTIONS: Record<DeployedService, () => Subscription[]> = {
  catalog: catalogSubscriptions,
  entitlement: entitlementSubscriptions,
  media: mediaSubscriptions,
  engagement: engagementSubscriptions,
  notification: notificationSubscriptions,
};

/**
 * Where a service's Lambda bundle lands: `services/<name>/src/lambda.ts` bundled to
 * `dist/lambda/<name>/index.mjs` exporting `handler`. The bundling step is not written yet; until
 * it is, `pulumi up` fails on the missing folder, never deploys a stale one.
 */
export const bundlePath = (service: DeployedService) =>
  fileURLToPath(new URL(`../dist/lambda/${service}`, import.meta.url));

/** Item-level actions the Table port uses (transactions are authorised per item action). */
const ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
];

/** One service's Lambda: its role, log group, function and `/api/<service>/{proxy+}` route. */
export function serviceFunction(service: DeployedService, table: ServiceTable, config: StackConfig) {
  const functionName = `kinema-${service}`;
  const logGroup = new aws.cloudwatch.LogGroup(`${service}-logs`, {
    name: `/aws/lambda/${functionName}`,
    retentionInDays: config.logRetentionDays,
  });
  const role = new aws.iam.Role(`${service}-fn-role`, {
    name: `kinema-${config.region}-${service}`,
    assumeRolePolicy: serviceAssumeRole('lambda.amazonaws.com'),
  });
  const indexArns = INDEX_NAMES.map((index) => pulumi.interpolate`${table.arn}/index/${index}`);
  const policy = new aws.iam.RolePolicy(`${service}-fn-policy`, {
    role: role.id,
    policy: policyDocument([
      { Action: ITEM_ACTIONS, Resource: [table.arn] },
      { Action: ['dynamodb:Query'], Resource: [table.arn, ...indexArns] },
      { Action: ['events:PutEvents'], Resource: [bus.arn] },
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [pulumi.interpolate`${logGroup.arn}:*`] },
    ]),
  });
  const fn = new aws.lambda.Function(
    `${service}-fn`,
    {
      name: functionName,
      runtime: aws.lambda.Runtime.NodeJS22dX,
      architectures: ['arm64'],
      handler: 'index.handler',
      code: new pulumi.asset.FileArchive(bundlePath(service)),
      role: role.arn,
      memorySize: 1024,
      // Below the HTTP API's 30 s integration limit, so the caller gets the function's own error.
      timeout: 28,
      loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
      environment: {
        variables: {
          TABLE_NAME: table.name,
          BUS_NAME: bus.name,
          AUTH_ISSUER: config.authIssuer,
          AUTH_AUDIENCE: config.authAudience,
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
      tags: { service },
    },
    { dependsOn: [policy, logGroup] },
  );
  const integration = new aws.apigatewayv2.Integration(`${service}-integration`, {
    apiId: httpApi.id,
    integrationType: 'AWS_PROXY',
    integrationUri: fn.invokeArn,
    payloadFormatVersion: '2.0',
  });
  const route = new aws.apigatewayv2.Route(`${service}-route`, {
    apiId: httpApi.id,
    routeKey: `ANY /api/${service}/{proxy+}`,
    target: pulumi.interpolate`integrations/${integration.id}`,
  });
  const invoke = new aws.lambda.Permission(`${service}-api-invoke`, {
    action: 'lambda:InvokeFunction',
    function: fn.name,
    principal: 'apigateway.amazonaws.com',
    sourceArn: pulumi.interpolate`${httpApi.executionArn}/*/*/api/${service}/*`,
  });
  return { fn, role, policy, logGroup, integration, route, invoke };
}

/** Turns a service's subscription list into bus rules targeting its Lambda, one rule each. */
export function subscriptionRules(target: aws.lambda.Function, subscriptions: readonly Subscription[]) {
  return subscriptions.map((subscription) => ruleFor(subscription.name, subscription.event, target));
}

/** Every service's function and rules; subscription names must be unique, since they name rules. */
export function deployServices(
  config: StackConfig,
  tables: Record<DeployedService, ServiceTable>,
  subscriptions: Record<DeployedService, () => readonly Subscription[]> = SUBSCRIPTIONS,
) {
  const seen = new Set<string>();
  for (const service of SERVICE_NAMES) {
    for (const { name } of subscriptions[service]()) {
      if (seen.has(name)) throw new Error(`subscription name ${name} is used twice; it must be unique`);
      seen.add(name);
    }
  }
  const entries = SERVICE_NAMES.map((service) => {
    const deployed = serviceFunction(service, tables[service], config);
    const rules = subscriptionRules(deployed.fn, subscriptions[service]());
    return [service, { ...deployed, rules }] as const;
  });
  return Object.fromEntries(entries) as Record<
    DeployedService,
    ReturnType<typeof serviceFunction> & { rules: ReturnType<typeof subscriptionRules> }
  >;
}
