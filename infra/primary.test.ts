import { beforeAll, describe, expect, it } from 'vitest';
import { bucketChecks } from './buckets.checks.js';
import { deliveryChecks } from './delivery.checks.js';
import { engagementChecks } from './engagement.checks.js';
import { entitlementChecks } from './entitlement.checks.js';
import { handlerChecks } from './handlers.checks.js';
import { healthChecks } from './health.checks.js';
import { siteChecks } from './site.checks.js';
import { mediaPipelineChecks } from './media-pipeline.checks.js';
import { catalogEvents, entitlementEvents } from '#shared/events/index.js';
import type { Subscription } from '#shared/ports/bus.js';
import { asList, leastPrivilegeViolations, mockStack, statementsOf, valueOf } from './test-support.js';

// The real Tokyo stack file drives the mocks, so what is asserted is what `pulumi up` would get.
const { config, program, publicKeyPem } = mockStack('Pulumi.prod-tokyo.yaml', 'prod-tokyo');

const SERVICES = ['catalog', 'entitlement', 'media', 'engagement', 'notification'];
let index: typeof import('./index.js');

beforeAll(async () => {
  index = await import('./index.js');
  await program.settled();
});

describe('primary stack (Tokyo): tables', () => {
  const tables = () => program.ofType('aws:dynamodb/table:Table');

  it('creates one table per service, named as both regions expect', () => {
    expect(tables().map((table) => table.inputs.name)).toEqual(SERVICES.map((service) => `kinema-${service}`));
  });

  it('gives every table PITR, TTL on ttl, a stream, encryption and deletion protection', () => {
    for (const { inputs } of tables()) {
      expect(inputs.pointInTimeRecovery).toMatchObject({ enabled: true });
      expect(inputs.ttl).toEqual({ attributeName: 'ttl', enabled: true });
      expect(inputs.streamEnabled).toBe(true);
      expect(inputs.streamViewType).toMatch(/NEW_(AND_OLD_)?IMAGES?/);
      expect(inputs.serverSideEncryption).toMatchObject({ enabled: true });
      expect(inputs.deletionProtectionEnabled).toBe(true);
      expect(inputs.billingMode).toBe('PAY_PER_REQUEST');
    }
  });

  it('keys every table by pk/sk with gsi1 and gsi2, as the Table port reads them', () => {
    for (const { inputs } of tables()) {
      expect([inputs.hashKey, inputs.rangeKey]).toEqual(['pk', 'sk']);
      const keys = (index: string) => [
        { attributeName: `${index}pk`, keyType: 'HASH' },
        { attributeName: `${index}sk`, keyType: 'RANGE' },
      ];
      expect(inputs.globalSecondaryIndexes).toEqual([
        { name: 'gsi1', keySchemas: keys('gsi1'), projectionType: 'ALL' },
        { name: 'gsi2', keySchemas: keys('gsi2'), projectionType: 'ALL' },
      ]);
      for (const attribute of inputs.attributes as { type: string }[]) expect(attribute.type).toBe('S');
    }
  });

  it('puts a replica of every table in the peer region (Singapore)', () => {
    for (const { inputs } of tables()) {
      expect(inputs.replicas).toEqual([
        expect.objectContaining({
          regionName: 'ap-southeast-1',
          pointInTimeRecovery: true,
          deletionProtectionEnabled: true,
        }),
      ]);
    }
  });
});

describe('primary stack: IAM is least privilege', () => {
  const policies = () => program.ofType('aws:iam/rolePolicy:RolePolicy');

  it('the checker itself flags wildcards', () => {
    expect(leastPrivilegeViolations({ Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:x' })).toHaveLength(1);
    expect(leastPrivilegeViolations({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' })).toHaveLength(1);
    expect(leastPrivilegeViolations({ Effect: 'Allow', Action: '*', Resource: '*' })).toHaveLength(2);
  });

  it('no policy statement has a wildcard action or Resource "*"', () => {
    const all = [...policies(), ...program.ofType('aws:iam/policy:Policy')];
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const policy of all) {
      for (const statement of statementsOf(policy.inputs.policy)) {
        expect(leastPrivilegeViolations(statement), `${policy.name}: ${JSON.stringify(statement)}`).toEqual([]);
      }
    }
  });

  it('each service role touches only its own table and its indexes', () => {
    for (const service of SERVICES) {
      const policy = program.named('aws:iam/rolePolicy:RolePolicy', `${service}-fn-policy`);
      const ownTable = `arn:aws:dynamodb:ap-northeast-1:123456789012:table/kinema-${service}`;
      const dynamo = statementsOf(policy.inputs.policy).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('dynamodb:')),
      );
      expect(dynamo.length).toBeGreaterThan(0);
      for (const statement of dynamo) {
        for (const resource of asList(statement.Resource)) {
          expect([ownTable, `${ownTable}/index/gsi1`, `${ownTable}/index/gsi2`]).toContain(resource);
        }
      }
    }
  });

  it('services may put events on the kinema bus only', () => {
    for (const service of SERVICES) {
      const policy = program.named('aws:iam/rolePolicy:RolePolicy', `${service}-fn-policy`);
      const put = statementsOf(policy.inputs.policy).filter((s) => asList(s.Action).includes('events:PutEvents'));
      expect(put.flatMap((s) => asList(s.Resource))).toEqual([
        'arn:aws:events:ap-northeast-1:123456789012:event-bus/kinema',
      ]);
    }
  });

  it('roles trust only the service that runs them', () => {
    const runner = (name: string) =>
      name === 'site-edge-role'
        ? ['lambda.amazonaws.com', 'edgelambda.amazonaws.com']
        : name.endsWith('-outbox-role')
          ? 'pipes.amazonaws.com'
          : ({
              'replication-role': 's3.amazonaws.com',
              'mediaconvert-role': 'mediaconvert.amazonaws.com',
              'media-pipeline-role': 'states.amazonaws.com',
              'reminders-scheduler-role': 'scheduler.amazonaws.com',
              'search-sync-role': 'states.amazonaws.com',
              'search-sync-rule-role': 'events.amazonaws.com',
            }[name] ?? 'lambda.amazonaws.com');
    for (const role of program.ofType('aws:iam/role:Role')) {
      const statements = statementsOf(role.inputs.assumeRolePolicy);
      expect(statements, role.name).toHaveLength(1);
      expect(statements[0]?.Principal, role.name).toEqual({ Service: runner(role.name) });
    }
  });

  it('allows Resource "*" only for the log-delivery actions, and only to the state machine', () => {
    expect(
      leastPrivilegeViolations({ Effect: 'Allow', Action: ['logs:CreateLogDelivery', 's3:GetObject'], Resource: '*' }),
    ).toEqual(['Resource "*"']);
    const starred = policies().filter((policy) =>
      statementsOf(policy.inputs.policy).some((statement) => asList(statement.Resource).includes('*')),
    );
    expect(starred.map((policy) => policy.name).sort()).toEqual(['media-pipeline-policy', 'search-sync-policy']);
  });
});

describe('primary stack: service functions and the HTTP API', () => {
  it('runs each service on nodejs22.x arm64 with its table, the bus and the Auth0 issuer/audience', () => {
    for (const service of SERVICES) {
      const { inputs } = program.named('aws:lambda/function:Function', `${service}-fn`);
      expect(inputs.runtime).toBe('nodejs22.x');
      expect(inputs.architectures).toEqual(['arm64']);
      expect((inputs.environment as { variables: Record<string, string> }).variables).toMatchObject({
        SERVICE_NAME: service,
        TABLE_NAME: `kinema-${service}`,
        BUS_NAME: 'kinema',
        AUTH_ISSUER: 'https://kinema.jp.auth0.com/',
        AUTH_AUDIENCE: 'https://kinema.app/api',
      });
      const logs = program.named('aws:cloudwatch/logGroup:LogGroup', `${service}-logs`);
      expect(logs.inputs).toMatchObject({ name: `/aws/lambda/kinema-${service}`, retentionInDays: 30 });
    }
  });

  it('routes /api/<service>/{proxy+} to that service only', () => {
    const routes = program.ofType('aws:apigatewayv2/route:Route').map((route) => route.inputs.routeKey);
    // Plus the region's own health check (infra/health.ts).
    expect(routes.sort()).toEqual(
      [...SERVICES.map((service) => `ANY /api/${service}/{proxy+}`), 'GET /healthz'].sort(),
    );
    for (const service of SERVICES) {
      const permission = program.named('aws:lambda/permission:Permission', `${service}-api-invoke`);
      expect(permission.inputs.function).toBe(`kinema-${service}`);
      expect(String(permission.inputs.sourceArn)).toMatch(new RegExp(`/\\*/\\*/api/${service}/\\*$`));
    }
  });

  it('exports the api url, table names, bus name and the web client id', async () => {
    expect(await valueOf(index.apiUrl)).toBe('https://abc123.execute-api.ap-northeast-1.amazonaws.com');
    expect(await valueOf(index.busName)).toBe('kinema');
    expect(await valueOf(index.tableNames.media!)).toBe('kinema-media');
    expect(await valueOf(index.auth0ClientId!)).toBe('client-web');
  });
});

describe('primary stack: bus rules come from the event catalog', () => {
  it('keeps an archive of the bus for replay after failover', () => {
    const archive = program.named('aws:cloudwatch/eventArchive:EventArchive', 'bus-archive');
    expect(archive.inputs.eventSourceArn).toBe('arn:aws:events:ap-northeast-1:123456789012:event-bus/kinema');
  });

  beforeAll(async () => {
    const { subscriptionRules } = await import('./services.js');
    const { aws } = await import('./test-aws.js');
    const media = aws.lambda.Function.get('media-events-fn-ref', 'kinema-media-events');
    const fake: Subscription[] = [
      { name: 'media.start-pipeline', event: catalogEvents.VideoUploaded, handle: async () => {} },
      { name: 'media.forget-refunded', event: entitlementEvents.RentalRefunded, handle: async () => {} },
    ];
    const { deadLetterQueue } = await import('./alarms.js');
    subscriptionRules(media, fake, deadLetterQueue('fake-dlq', 'kinema-fake-dlq'), 'fake');
    await program.settled();
  });

  it('turns a subscription list into exact source + detail-type rules targeting the service', () => {
    const rule = program.named('aws:cloudwatch/eventRule:EventRule', 'rule-media-start-pipeline');
    expect(JSON.parse(String(rule.inputs.eventPattern))).toEqual({
      source: ['kinema.catalog'],
      'detail-type': ['VideoUploaded'],
    });
    expect(rule.inputs.eventBusName).toBe('kinema');
    const second = program.named('aws:cloudwatch/eventRule:EventRule', 'rule-media-forget-refunded');
    expect(JSON.parse(String(second.inputs.eventPattern))).toEqual({
      source: ['kinema.entitlement'],
      'detail-type': ['RentalRefunded'],
    });
    const target = program.named('aws:cloudwatch/eventTarget:EventTarget', 'rule-media-start-pipeline-target');
    expect(target.inputs.arn).toBe('arn:aws:lambda:ap-northeast-1:123456789012:function:kinema-media-events');
    const invoke = program.named('aws:lambda/permission:Permission', 'rule-media-start-pipeline-invoke');
    expect(invoke.inputs).toMatchObject({
      principal: 'events.amazonaws.com',
      sourceArn: expect.stringContaining('rule/'),
    });
  });

  it("delivers events to each service's event function (index.onEvent), never to its HTTP function", async () => {
    const { SUBSCRIPTIONS } = await import('./services.js');
    const arnOf = (name: string) => `arn:aws:lambda:ap-northeast-1:123456789012:function:${name}`;
    for (const service of SERVICES) {
      const consumed = SUBSCRIPTIONS[service as keyof typeof SUBSCRIPTIONS]();
      const events = program.ofType('aws:lambda/function:Function').find((fn) => fn.name === `${service}-events-fn`);
      if (consumed.length === 0) {
        expect(events, service).toBeUndefined();
        continue;
      }
      expect(events?.inputs).toMatchObject({ handler: 'index.onEvent', name: `kinema-${service}-events` });
      for (const { name } of consumed) {
        const rule = name.replace(/[^A-Za-z0-9_-]/g, '-');
        const targets = program.ofType('aws:cloudwatch/eventTarget:EventTarget');
        const target = targets.find((found) => found.name === `rule-${rule}-target`);
        expect(target?.inputs.arn, name).toBe(arnOf(`kinema-${service}-events`));
      }
    }
    expect(program.named('aws:lambda/function:Function', 'media-fn').inputs.handler).toBe('index.handler');
  });

  it('refuses two subscriptions of one name, since the name names the rule and the inbox', async () => {
    const { deployServices } = await import('./services.js');
    const { parseStackConfig } = await import('./config.js');
    const twice = (): Subscription[] => [{ name: 'x.same', event: catalogEvents.VideoDeleted, handle: async () => {} }];
    const none = (): Subscription[] => [];
    const subscriptions = { catalog: twice, entitlement: twice, media: none, engagement: none, notification: none };
    expect(() => deployServices(parseStackConfig(config), {} as never, {}, subscriptions)).toThrow(
      /x\.same is used twice/,
    );
  });

  it('every rule pattern is exactly one catalog event, nothing broader', async () => {
    const { allEvents } = await import('#shared/events/index.js');
    const catalog = new Set(allEvents.map((event) => `${event.source}/${event.type}`));
    // Rules on the Kinema bus; the default bus carries AWS services' own events (MediaConvert's).
    const rules = program
      .ofType('aws:cloudwatch/eventRule:EventRule')
      .filter((rule) => rule.inputs.eventBusName !== undefined);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const pattern = JSON.parse(String(rule.inputs.eventPattern)) as Record<string, string[]>;
      expect(Object.keys(pattern).sort()).toEqual(['detail-type', 'source']);
      expect(pattern.source).toHaveLength(1);
      expect(pattern['detail-type']).toHaveLength(1);
      expect(catalog.has(`${pattern.source![0]}/${pattern['detail-type']![0]}`)).toBe(true);
    }
  });
});

describe('primary stack: the outbox relay', () => {
  it('pipes each table stream to the bus, outbox rows only, running', () => {
    const pipes = program.ofType('aws:pipes/pipe:Pipe');
    expect(pipes.map((pipe) => pipe.name)).toEqual(SERVICES.map((service) => `${service}-outbox`));
    for (const [position, { inputs }] of pipes.entries()) {
      const service = SERVICES[position]!;
      expect(inputs.source).toBe(
        `arn:aws:dynamodb:ap-northeast-1:123456789012:table/kinema-${service}/stream/2025-01-01T00:00:00.000`,
      );
      expect(inputs.target).toBe('arn:aws:events:ap-northeast-1:123456789012:event-bus/kinema');
      expect(inputs.desiredState).toBe('RUNNING');
      const source = inputs.sourceParameters as {
        filterCriteria: { filters: { pattern: string }[] };
        dynamodbStreamParameters: { startingPosition: string };
      };
      expect(JSON.parse(source.filterCriteria.filters[0]!.pattern)).toEqual({
        eventName: ['INSERT'],
        dynamodb: { NewImage: { pk: { S: [{ prefix: 'outbox#' }] } } },
      });
      expect(source.dynamodbStreamParameters.startingPosition).toBe('TRIM_HORIZON');
      expect(inputs.targetParameters).toEqual({
        inputTemplate: '<$.dynamodb.NewImage.detailJson.S>',
        eventbridgeEventBusParameters: {
          source: '$.dynamodb.NewImage.envelope.M.source.S',
          detailType: '$.dynamodb.NewImage.envelope.M.detail-type.S',
          time: '$.dynamodb.NewImage.envelope.M.time.S',
          resources: ['$.dynamodb.NewImage.eventRef.S'],
        },
      });
    }
  });

  it('finds source, detail-type, time and the detail in a stream record of an outbox row', async () => {
    const { OUTBOX_TARGET, OUTBOX_FILTER } = await import('./outbox.js');
    const envelope = catalogEvents.VideoDeleted.create({ videoId: 'v1' }, Date.UTC(2025, 0, 1));
    // A DynamoDB stream INSERT record of the row the Table adapter writes, in DynamoDB's typed JSON.
    const record = {
      eventName: 'INSERT',
      dynamodb: {
        NewImage: {
          pk: { S: `outbox#${envelope.id}` },
          sk: { S: 'event' },
          envelope: {
            M: {
              id: { S: envelope.id },
              source: { S: envelope.source },
              'detail-type': { S: envelope['detail-type'] },
              time: { S: envelope.time },
              detail: { M: { videoId: { S: 'v1' } } },
            },
          },
          detailJson: { S: JSON.stringify(envelope.detail) },
          eventRef: { S: `kinema:event:${envelope.id}` },
          ttl: { N: '1735776000' },
        },
      },
    };
    const at = (path: string) =>
      path
        .replace(/^\$\./, '')
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], record);
    expect(at(OUTBOX_TARGET.source)).toBe('kinema.catalog');
    expect(at(OUTBOX_TARGET.detailType)).toBe('VideoDeleted');
    expect(at(OUTBOX_TARGET.time)).toBe('2025-01-01T00:00:00.000Z');
    const detailText = at(/^<(.*)>$/.exec(OUTBOX_TARGET.inputTemplate)![1]!);
    expect(JSON.parse(String(detailText))).toEqual({ videoId: 'v1' });
    expect(OUTBOX_TARGET.resources.map(at)).toEqual([`kinema:event:${envelope.id}`]);
    const prefix = (JSON.parse(OUTBOX_FILTER) as { dynamodb: { NewImage: { pk: { S: { prefix: string }[] } } } })
      .dynamodb.NewImage.pk.S[0]!.prefix;
    expect(record.dynamodb.NewImage.pk.S.startsWith(prefix)).toBe(true);
  });

  it('lets each pipe read only its own stream and write only the bus and its dead-letter queue', () => {
    for (const service of SERVICES) {
      const policy = program.named('aws:iam/rolePolicy:RolePolicy', `${service}-outbox-policy`);
      const resources = statementsOf(policy.inputs.policy).flatMap((statement) => asList(statement.Resource));
      expect(resources.sort()).toEqual(
        [
          `arn:aws:dynamodb:ap-northeast-1:123456789012:table/kinema-${service}/stream/2025-01-01T00:00:00.000`,
          `arn:aws:dynamodb:ap-northeast-1:123456789012:table/kinema-${service}/stream/*`,
          'arn:aws:events:ap-northeast-1:123456789012:event-bus/kinema',
          `arn:aws:sqs:ap-northeast-1:123456789012:kinema-${service}-outbox-dlq`,
        ].sort(),
      );
      // The four actions the Pipes documentation lists for a DynamoDB stream source.
      const actions = statementsOf(policy.inputs.policy).flatMap((statement) => asList(statement.Action));
      expect(actions).toEqual(
        expect.arrayContaining([
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ]),
      );
    }
  });
});

describe('primary stack: the Auth0 tenant', () => {
  it('registers the site as a regular web app calling back on the configured domain', () => {
    const { inputs } = program.named('auth0:index/client:Client', 'web');
    expect(inputs.appType).toBe('regular_web');
    expect(inputs.callbacks).toEqual(['https://kinema.app/auth/callback']);
    expect(inputs.allowedLogoutUrls).toEqual(['https://kinema.app/']);
    expect(inputs.grantTypes).toEqual(['authorization_code', 'refresh_token']);
    expect(inputs.refreshToken).toMatchObject({ rotationType: 'rotating', expirationType: 'expiring' });
  });

  it("dresses Universal Login in the site's colours and logo, Japanese first, home as the way back", () => {
    const tenant = program.named('auth0:index/tenant:Tenant', 'tenant');
    expect(tenant.inputs).toMatchObject({ enabledLocales: ['ja', 'en'], defaultRedirectionUri: 'https://kinema.app/' });
    const branding = program.named('auth0:index/branding:Branding', 'branding');
    expect(branding.inputs).toMatchObject({
      logoUrl: 'https://kinema.app/favicon.svg',
      colors: { primary: '#f5b642', pageBackground: '#0b0b10' },
    });
  });

  it('protects sign-in per (account, IP), refuses breached passwords and throttles spraying IPs', () => {
    const { inputs } = program.named('auth0:index/attackProtection:AttackProtection', 'attack-protection');
    expect(inputs.bruteForceProtection).toMatchObject({ enabled: true, mode: 'count_per_identifier_and_ip' });
    expect(inputs.breachedPasswordDetection).toMatchObject({ enabled: true, shields: ['block', 'admin_notification'] });
    expect(inputs.suspiciousIpThrottling).toMatchObject({ enabled: true });
  });

  it('declares the API with the audience the services check, RS256 and offline access', () => {
    const { inputs } = program.named('auth0:index/resourceServer:ResourceServer', 'api');
    expect(inputs).toMatchObject({
      identifier: 'https://kinema.app/api',
      signingAlg: 'RS256',
      allowOfflineAccess: true,
    });
  });

  it('creates the admin and viewer roles and binds the post-login Action', () => {
    const roles = program.ofType('auth0:index/role:Role').map((role) => role.inputs.name);
    expect(roles.sort()).toEqual(['admin', 'viewer']);
    const action = program.named('auth0:index/action:Action', 'post-login');
    expect(action.inputs).toMatchObject({ runtime: 'node22', supportedTriggers: { id: 'post-login', version: 'v3' } });
    expect(String(action.inputs.code)).toContain('exports.onExecutePostLogin');
    const binding = program.named('auth0:index/triggerActions:TriggerActions', 'post-login-binding');
    expect(binding.inputs).toMatchObject({ trigger: 'post-login', actions: [{ id: 'post-login-id' }] });
  });
});

describe('Auth0 plan sync (primary)', () => {
  it('gives the entitlement service a machine client for the plan claim and user management only', () => {
    const client = program.named('auth0:index/client:Client', 'plan-sync');
    expect(client.inputs).toMatchObject({ appType: 'non_interactive', grantTypes: ['client_credentials'] });
    const grant = program.named('auth0:index/clientGrant:ClientGrant', 'plan-sync-grant');
    expect(grant.inputs).toMatchObject({
      audience: 'https://kinema.jp.auth0.com/api/v2/',
      scopes: [
        'update:users_app_metadata',
        'read:users',
        'read:roles',
        'read:role_members',
        'create:role_members',
        'delete:role_members',
        'delete:users',
      ],
    });
    for (const name of ['entitlement-fn', 'entitlement-events-fn']) {
      const { variables } = program.named('aws:lambda/function:Function', name).inputs.environment as {
        variables: Record<string, unknown>;
      };
      expect(variables).toMatchObject({
        AUTH0_DOMAIN: 'kinema.jp.auth0.com',
        AUTH0_MGMT_CLIENT_ID: 'client-plan-sync',
        AUTH0_MGMT_CLIENT_SECRET_ARN:
          'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:kinema/auth0-plan-sync-client-secret-AbCdEf',
      });
      // The client's secret is read at run time, never deployed in the configuration.
      expect(variables).not.toHaveProperty('AUTH0_MGMT_CLIENT_SECRET');
    }
  });
});

const stack = { region: 'ap-northeast-1', peerRegion: 'ap-southeast-1', role: 'primary' } as const;
bucketChecks(() => program, stack);
mediaPipelineChecks(() => program, stack);
siteChecks(() => program, stack, publicKeyPem);
deliveryChecks(() => program, stack);
healthChecks(() => program, stack);
handlerChecks(() => program, stack);
entitlementChecks(() => program, stack);
engagementChecks(() => program, stack);

describe('primary stack: what the standby reads', () => {
  it('exports every name the secondary reads by stack reference, with the values its mocks assume', async () => {
    const { PRIMARY_EXPORTS } = await import('./peer.js');
    const { PRIMARY_OUTPUTS } = await import('./test-support.js');
    const exported = index as unknown as Record<string, import('@pulumi/pulumi').Output<string>>;
    for (const name of PRIMARY_EXPORTS) {
      expect(exported[name], name).toBeDefined();
      expect(await valueOf(exported[name]!), name).toBe(PRIMARY_OUTPUTS[name]);
    }
    expect(Object.keys(PRIMARY_OUTPUTS).sort()).toEqual([...PRIMARY_EXPORTS].sort());
  });
});
