import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { SEARCH_SYNC_TRIGGERS } from '#shared/events/catalog.js';
import { ALGOLIA_INDEX_SETTINGS, ALGOLIA_NEWEST_REPLICA_SETTINGS, algoliaIndexNames } from '#shared/search-settings.js';
import { searchSyncDefinition, substitute } from '#workflows/index.js';
import { AlgoliaApiKey, AlgoliaIndexSettings } from './algolia.js';
import { deadLetterQueue, eventBridgeMayDeadLetter } from './alarms.js';
import { bus, eventPattern } from './bus.js';
import type { StackConfig } from './config.js';
import { LOG_DELIVERY_ACTIONS, policyDocument, serviceAssumeRole, type Grant } from './iam.js';
import { functionLogGroup, nodeFunction } from './lambda.js';
import { serviceEnvironment, tableGrants, type ServiceExtras } from './services.js';
import type { ServiceTable } from './tables.js';

/** The catalog bundle's export the SyncVideo state runs (runtime/aws/catalog.ts). */
export const SYNC_VIDEO_HANDLER = 'index.syncVideo';
export const SEARCH_SYNC_FUNCTION = 'kinema-search-sync';

/** Algolia's application and its admin key (`pulumi config set --secret algolia:adminKey …`). */
export function loadAlgoliaConfig() {
  const config = new pulumi.Config('algolia');
  return {
    appId: config.require('appId'),
    adminKey: config.requireSecret('adminKey'),
    indexPrefix: config.get('indexPrefix') ?? 'kinema',
  };
}
export type AlgoliaConfig = ReturnType<typeof loadAlgoliaConfig>;

/**
 * Search on AWS: the Algolia index (settings, the newest-first replica, a search-only key) and
 * the index sync — the search-sync state machine started by an EventBridge rule on the catalog
 * events, its SyncVideo Lambda (the catalog bundle, writing to Algolia) and an SQS dead-letter
 * queue. Returns the environment the catalog's HTTP Lambda needs to search and hand out keys.
 */
export function search({
  config,
  table,
  algolia,
}: {
  config: StackConfig;
  table: ServiceTable;
  algolia: AlgoliaConfig;
}) {
  const names = algoliaIndexNames(algolia.indexPrefix);
  const access = { appId: algolia.appId, adminKey: algolia.adminKey };
  const index = new AlgoliaIndexSettings('search-index', {
    ...access,
    indexName: names.primary,
    settings: { ...ALGOLIA_INDEX_SETTINGS, replicas: [names.newest] },
  });
  const replica = new AlgoliaIndexSettings(
    'search-index-newest',
    { ...access, indexName: names.newest, settings: { ...ALGOLIA_NEWEST_REPLICA_SETTINGS } },
    { dependsOn: [index] },
  );
  const searchKey = new AlgoliaApiKey('search-key', {
    ...access,
    acl: ['search'],
    indexes: [names.primary, names.newest],
    description: `kinema ${config.region}: parent of the browsers' secured search keys`,
    maxHitsPerQuery: 100,
  });

  // Anything here failed every retry (the state machine's DeadLetter state, or EventBridge's); it alarms.
  const deadLetters = deadLetterQueue('search-sync-dlq', 'kinema-search-sync-dlq');

  const fnLogs = functionLogGroup('search-sync-fn-logs', SEARCH_SYNC_FUNCTION, config);
  const fnRole = new aws.iam.Role('search-sync-fn-role', {
    name: `kinema-${config.region}-search-sync-fn`,
    assumeRolePolicy: serviceAssumeRole('lambda.amazonaws.com'),
  });
  const fnPolicy = new aws.iam.RolePolicy('search-sync-fn-policy', {
    role: fnRole.id,
    policy: policyDocument([
      ...tableGrants(table),
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [pulumi.interpolate`${fnLogs.arn}:*`] },
    ]),
  });
  const syncFn = nodeFunction('search-sync-fn', {
    functionName: SEARCH_SYNC_FUNCTION,
    service: 'catalog',
    handler: SYNC_VIDEO_HANDLER,
    role: fnRole,
    logGroup: fnLogs,
    environment: {
      ...serviceEnvironment('catalog', table, config),
      ALGOLIA_APP_ID: algolia.appId,
      ALGOLIA_INDEX: names.primary,
      ALGOLIA_WRITE_KEY: algolia.adminKey,
    },
    timeout: 60,
    dependsOn: [fnPolicy],
  });

  const logGroup = new aws.cloudwatch.LogGroup('search-sync-logs', {
    name: '/aws/vendedlogs/states/kinema-search-sync',
    retentionInDays: config.logRetentionDays,
  });
  const role = new aws.iam.Role('search-sync-role', {
    name: `kinema-${config.region}-search-sync`,
    assumeRolePolicy: serviceAssumeRole('states.amazonaws.com'),
  });
  const policy = new aws.iam.RolePolicy('search-sync-policy', {
    role: role.id,
    policy: policyDocument([
      { Action: ['lambda:InvokeFunction'], Resource: [syncFn.arn] },
      { Action: ['sqs:SendMessage'], Resource: [deadLetters.queue.arn] },
      { Action: [...LOG_DELIVERY_ACTIONS], Resource: ['*'] },
    ] satisfies Grant[]),
  });
  const stateMachine = new aws.sfn.StateMachine(
    'search-sync',
    {
      name: 'kinema-search-sync',
      type: 'STANDARD',
      roleArn: role.arn,
      definition: pulumi
        .all({ SyncVideoFunctionArn: syncFn.arn, DeadLetterQueueUrl: deadLetters.queue.url })
        .apply((values) => JSON.stringify(substitute(searchSyncDefinition, values))),
      loggingConfiguration: {
        logDestination: pulumi.interpolate`${logGroup.arn}:*`,
        includeExecutionData: true,
        level: 'ERROR',
      },
      tags: { service: 'catalog' },
    },
    { dependsOn: [policy] },
  );

  // Each catalog event starts an execution (one exact rule per event, as every Kinema rule is);
  // EventBridge passes the envelope as the input, and dead-letters what it cannot deliver.
  const ruleRole = new aws.iam.Role('search-sync-rule-role', {
    name: `kinema-${config.region}-search-sync-rule`,
    assumeRolePolicy: serviceAssumeRole('events.amazonaws.com'),
  });
  const rulePolicy = new aws.iam.RolePolicy('search-sync-rule-policy', {
    role: ruleRole.id,
    policy: policyDocument([{ Action: ['states:StartExecution'], Resource: [stateMachine.arn] }]),
  });
  const rules = SEARCH_SYNC_TRIGGERS.map((event) => {
    const rule = new aws.cloudwatch.EventRule(`search-sync-${event.type}`, {
      name: `kinema-search-sync-${event.type}`,
      eventBusName: bus.name,
      eventPattern: eventPattern(event),
    });
    const target = new aws.cloudwatch.EventTarget(
      `search-sync-${event.type}-target`,
      {
        rule: rule.name,
        eventBusName: bus.name,
        arn: stateMachine.arn,
        roleArn: ruleRole.arn,
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 24 * 3600 },
        deadLetterConfig: { arn: deadLetters.queue.arn },
      },
      { dependsOn: [rulePolicy] },
    );
    return { rule, target };
  });
  const dlqPolicy = eventBridgeMayDeadLetter(
    'search-sync-dlq-policy',
    deadLetters,
    rules.map(({ rule }) => rule.arn),
  );

  /** The catalog's HTTP Lambda: searches with the search-only key and derives the browsers' keys from it. */
  const catalogExtras: ServiceExtras = {
    environment: {
      ALGOLIA_APP_ID: algolia.appId,
      ALGOLIA_INDEX: names.primary,
      ALGOLIA_REPLICAS: names.newest,
      ALGOLIA_SEARCH_KEY: searchKey.key,
    },
  };
  return {
    names,
    index,
    replica,
    searchKey,
    deadLetters,
    dlqPolicy,
    syncFn,
    fnRole,
    fnPolicy,
    stateMachine,
    role,
    policy,
    logGroup,
    rules,
    ruleRole,
    rulePolicy,
    catalogExtras,
  };
}
