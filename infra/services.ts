import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { catalogSubscriptions } from '#services/catalog/src/subscribers.js';
import { engagementSubscriptions } from '#services/engagement/src/subscribers.js';
import { entitlementSubscriptions } from '#services/entitlement/src/subscribers.js';
import { mediaSubscriptions } from '#services/media/src/subscribers.js';
import { notificationSubscriptions } from '#services/notification/src/subscribers.js';
import type { Subscription } from '#shared/ports/bus.js';
import { httpApi } from './api.js';
import { bus, ruleFor } from './bus.js';
import type { StackConfig } from './config.js';
import { policyDocument, serviceAssumeRole, type Grant } from './iam.js';
import { deadLetterQueue, eventBridgeMayDeadLetter, type DeadLetterQueue } from './alarms.js';
import { bundlePath, functionLogGroup, HANDLERS, nodeFunction, onFailureToQueue } from './lambda.js';
import { INDEX_NAMES, SERVICE_NAMES, type DeployedService, type ServiceTable } from './tables.js';

/** Each service's consumed events, the same lists its Lambda dispatches on. */
export const SUBSCRIPTIONS: Record<DeployedService, () => Subscription[]> = {
  catalog: catalogSubscriptions,
  entitlement: entitlementSubscriptions,
  media: mediaSubscriptions,
  engagement: engagementSubscriptions,
  notification: notificationSubscriptions,
};

/** Kept here too: callers found the bundle's location in this module first. */
export { bundlePath };

/**
 * What a service adds to the common wiring: its own environment (bucket names, ARNs) and grants
 * (objects, a state machine, a secret), each as narrow as the service's use.
 */
export interface ServiceExtras {
  environment?: Record<string, pulumi.Input<string>>;
  grants?: Grant[];
}

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

/**
 * What every service Lambda reads at cold start (platform/aws/service-deps.ts `LambdaEnv`): which
 * service it is, its table, the bus, and the Auth0 issuer/audience its tokens are checked against.
 */
export function serviceEnvironment(service: DeployedService, table: ServiceTable, config: StackConfig) {
  return {
    SERVICE_NAME: service,
    TABLE_NAME: table.name,
    BUS_NAME: bus.name,
    AUTH_ISSUER: config.authIssuer,
    AUTH_AUDIENCE: config.authAudience,
  } satisfies Record<string, pulumi.Input<string>>;
}

/** The Table port's grants on one table and its indexes. */
export function tableGrants(table: ServiceTable): Grant[] {
  const indexArns = INDEX_NAMES.map((index) => pulumi.interpolate`${table.arn}/index/${index}`);
  return [
    { Action: ITEM_ACTIONS, Resource: [table.arn] },
    { Action: ['dynamodb:Query'], Resource: [table.arn, ...indexArns] },
  ];
}

/**
 * One service's Lambdas, sharing a role: the HTTP function (`index.handler`) behind
 * `/api/<service>/{proxy+}`, and, when the service consumes events, the event function
 * (`index.onEvent`) its bus rules target. One function has one handler, so the two are separate.
 */
export function serviceFunction(
  service: DeployedService,
  table: ServiceTable,
  config: StackConfig,
  extras: ServiceExtras = {},
  consumesEvents = true,
) {
  const functionName = `kinema-${service}`;
  const eventsFunctionName = `kinema-${service}-events`;
  const logGroup = functionLogGroup(`${service}-logs`, functionName, config);
  const eventsLogGroup = consumesEvents
    ? functionLogGroup(`${service}-events-logs`, eventsFunctionName, config)
    : undefined;
  const role = new aws.iam.Role(`${service}-fn-role`, {
    name: `kinema-${config.region}-${service}`,
    assumeRolePolicy: serviceAssumeRole('lambda.amazonaws.com'),
  });
  const logStreams = [logGroup, ...(eventsLogGroup ? [eventsLogGroup] : [])].map(
    (group) => pulumi.interpolate`${group.arn}:*`,
  );
  // What failed every retry (rule delivery, or the function after Lambda's async retries) lands here.
  const deadLetters = consumesEvents
    ? deadLetterQueue(`${service}-events-dlq`, `kinema-${service}-events-dlq`)
    : undefined;
  const policy = new aws.iam.RolePolicy(`${service}-fn-policy`, {
    role: role.id,
    policy: policyDocument([
      ...tableGrants(table),
      { Action: ['events:PutEvents'], Resource: [bus.arn] },
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logStreams },
      ...(deadLetters ? [{ Action: ['sqs:SendMessage'], Resource: [deadLetters.queue.arn] }] : []),
      ...(extras.grants ?? []),
    ]),
  });
  const environment = { ...serviceEnvironment(service, table, config), ...extras.environment };
  const fn = nodeFunction(`${service}-fn`, {
    functionName,
    service,
    handler: HANDLERS.http,
    role,
    logGroup,
    environment,
    // Below the HTTP API's 30 s integration limit, so the caller gets the function's own error.
    timeout: 28,
    dependsOn: [policy],
  });
  const eventsFn = eventsLogGroup
    ? nodeFunction(`${service}-events-fn`, {
        functionName: eventsFunctionName,
        service,
        handler: HANDLERS.events,
        role,
        logGroup: eventsLogGroup,
        environment,
        timeout: 60,
        dependsOn: [policy],
      })
    : undefined;
  const asyncFailures =
    eventsFn && deadLetters ? onFailureToQueue(`${service}-events-async`, eventsFn, deadLetters.queue.arn) : undefined;
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
  return {
    fn,
    eventsFn,
    role,
    policy,
    logGroup,
    eventsLogGroup,
    deadLetters,
    asyncFailures,
    integration,
    route,
    invoke,
  };
}

/**
 * Turns a service's subscription list into bus rules targeting its Lambda, one rule each, their
 * undeliverable events dead-lettered to the service's queue (which only these rules may write).
 */
export function subscriptionRules(
  target: aws.lambda.Function,
  subscriptions: readonly Subscription[],
  deadLetters: DeadLetterQueue,
  service: string,
) {
  const rules = subscriptions.map((subscription) =>
    ruleFor(subscription.name, subscription.event, target, deadLetters.queue.arn),
  );
  const queuePolicy =
    rules.length > 0
      ? eventBridgeMayDeadLetter(
          `${service}-events-dlq-policy`,
          deadLetters,
          rules.map(({ rule }) => rule.arn),
        )
      : undefined;
  return Object.assign(rules, { queuePolicy });
}

/** Every service's functions and rules; subscription names must be unique, since they name rules. */
export function deployServices(
  config: StackConfig,
  tables: Record<DeployedService, ServiceTable>,
  extras: Partial<Record<DeployedService, ServiceExtras>> = {},
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
    const consumed = subscriptions[service]();
    const deployed = serviceFunction(service, tables[service], config, extras[service], consumed.length > 0);
    const rules =
      deployed.eventsFn && deployed.deadLetters
        ? subscriptionRules(deployed.eventsFn, consumed, deployed.deadLetters, service)
        : [];
    return [service, { ...deployed, rules }] as const;
  });
  return Object.fromEntries(entries) as Record<
    DeployedService,
    ReturnType<typeof serviceFunction> & { rules: ReturnType<typeof subscriptionRules> }
  >;
}
