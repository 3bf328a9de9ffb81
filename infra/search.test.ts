import aslValidator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_SYNC_TRIGGERS } from '#shared/events/catalog.js';
import { ALGOLIA_INDEX_SETTINGS } from '#shared/search-settings.js';
import { apiKeyProvider, indexSettingsProvider } from './algolia.js';
import { asList, leastPrivilegeViolations, mockStack, statementsOf } from './test-support.js';

const { program } = mockStack('Pulumi.prod-tokyo.yaml', 'prod-tokyo');
const ACCOUNT = '123456789012';
const machineArn = `arn:aws:states:ap-northeast-1:${ACCOUNT}:stateMachine:kinema-search-sync`;
const fnArn = `arn:aws:lambda:ap-northeast-1:${ACCOUNT}:function:kinema-search-sync`;
const queueArn = `arn:aws:sqs:ap-northeast-1:${ACCOUNT}:kinema-search-sync-dlq`;

beforeAll(async () => {
  await import('./index.js');
  await program.settled();
});

const policy = (name: string) => statementsOf(program.named('aws:iam/rolePolicy:RolePolicy', name).inputs.policy);
/** Pulumi's marker of a secret value, as the engine receives it. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const environmentOf = (fn: string) =>
  program.named('aws:lambda/function:Function', fn).inputs.environment as Record<string, unknown>;
const isSecret = (value: Record<string, unknown>) => SECRET_SIG in value;
const variables = (fn: string) => {
  const environment = environmentOf(fn);
  return ((isSecret(environment) ? environment.value : environment) as { variables: Record<string, string> }).variables;
};

describe('search on AWS (infra/search.ts)', () => {
  it('deploys the shared search-sync ASL with the sync Lambda and the dead-letter queue filled in', () => {
    const { inputs } = program.named('aws:sfn/stateMachine:StateMachine', 'search-sync');
    const definition = JSON.parse(String(inputs.definition)) as {
      States: Record<string, { Resource?: string; Parameters?: { QueueUrl?: string } }>;
    };
    expect(aslValidator(definition).isValid).toBe(true);
    expect(definition.States.SyncVideo?.Resource).toBe(fnArn);
    expect(definition.States.DeadLetter?.Parameters?.QueueUrl).toBe(
      `https://sqs.ap-northeast-1.amazonaws.com/${ACCOUNT}/kinema-search-sync-dlq`,
    );
    expect(inputs.type).toBe('STANDARD');
  });

  it('starts it from one exact rule per catalog event, with retries and a dead letter', () => {
    const rules = program
      .ofType('aws:cloudwatch/eventRule:EventRule')
      .filter((rule) => rule.name.startsWith('search-sync'));
    expect(rules.map((rule) => JSON.parse(String(rule.inputs.eventPattern)))).toEqual(
      SEARCH_SYNC_TRIGGERS.map((event) => ({ source: ['kinema.catalog'], 'detail-type': [event.type] })),
    );
    for (const event of SEARCH_SYNC_TRIGGERS) {
      const { inputs } = program.named('aws:cloudwatch/eventTarget:EventTarget', `search-sync-${event.type}-target`);
      expect(inputs).toMatchObject({
        eventBusName: 'kinema',
        arn: machineArn,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/kinema-ap-northeast-1-search-sync-rule`,
        deadLetterConfig: { arn: queueArn },
      });
    }
  });

  it('grants each role exactly its one job', () => {
    expect(policy('search-sync-rule-policy')).toEqual([
      { Effect: 'Allow', Action: ['states:StartExecution'], Resource: [machineArn] },
    ]);
    const machine = policy('search-sync-policy');
    expect(machine.slice(0, 2)).toEqual([
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fnArn] },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [queueArn] },
    ]);
    for (const name of ['search-sync-policy', 'search-sync-rule-policy', 'search-sync-fn-policy']) {
      for (const statement of policy(name)) expect(leastPrivilegeViolations(statement), name).toEqual([]);
    }
    // The sync Lambda reads the catalog table and writes its logs; nothing else in AWS.
    const actions = policy('search-sync-fn-policy').flatMap((statement) => asList(statement.Action));
    expect(actions.every((action) => action.startsWith('dynamodb:') || action.startsWith('logs:'))).toBe(true);
  });

  it('gives the write key only to the sync Lambda and the search-only key to the catalog API', () => {
    expect(program.named('aws:lambda/function:Function', 'search-sync-fn').inputs.handler).toBe('index.syncVideo');
    expect(isSecret(environmentOf('search-sync-fn'))).toBe(true); // the admin key stays a Pulumi secret
    expect(variables('search-sync-fn')).toMatchObject({
      ALGOLIA_APP_ID: 'KINEMA1APP',
      ALGOLIA_INDEX: 'kinema_videos',
      ALGOLIA_WRITE_KEY: 'algolia-admin-key-set-as-secret',
      TABLE_NAME: 'kinema-catalog',
    });
    const catalog = variables('catalog-fn');
    expect(catalog).toMatchObject({
      ALGOLIA_APP_ID: 'KINEMA1APP',
      ALGOLIA_INDEX: 'kinema_videos',
      ALGOLIA_REPLICAS: 'kinema_videos_newest',
      ALGOLIA_SEARCH_KEY: 'search-key-generated-key',
    });
    expect(catalog.ALGOLIA_WRITE_KEY).toBeUndefined();
  });

  it('manages the index settings, the newest-first replica and a search-only key as dynamic resources', () => {
    const dynamic = program.ofType('pulumi-nodejs:dynamic:Resource');
    const byName = Object.fromEntries(dynamic.map((resource) => [resource.name, resource.inputs]));
    expect(byName['search-index']).toMatchObject({
      indexName: 'kinema_videos',
      settings: { ...ALGOLIA_INDEX_SETTINGS, replicas: ['kinema_videos_newest'] },
    });
    expect(byName['search-index-newest']).toMatchObject({
      indexName: 'kinema_videos_newest',
      settings: { ranking: expect.arrayContaining(['desc(publishedAtTs)']) as unknown },
    });
    expect(byName['search-key']).toMatchObject({
      acl: ['search'],
      indexes: ['kinema_videos', 'kinema_videos_newest'],
      maxHitsPerQuery: 100,
    });
    expect(typeof byName['search-key']?.__provider).toBe('string'); // the serialised provider
  });
});

/** A recorded Algolia transport: each request is kept and answered as Algolia's REST API does. */
function recorded() {
  const sent: { method: string; path: string; body: unknown }[] = [];
  const requester = {
    async send(request: { method: string; url: string; data?: string | Uint8Array }) {
      const url = new URL(request.url);
      const body = request.data ? (JSON.parse(Buffer.from(request.data).toString('utf8')) as unknown) : undefined;
      sent.push({ method: request.method, path: url.pathname, body });
      const answer =
        request.method === 'PUT' && url.pathname.endsWith('/settings')
          ? { taskID: 7, updatedAt: '2026-11-30T00:00:00Z' }
          : url.pathname.includes('/task/')
            ? { status: 'published' }
            : request.method === 'POST' && url.pathname === '/1/keys'
              ? { key: 'k3y', createdAt: '2026-11-30T00:00:00Z' }
              : request.method === 'GET' && url.pathname.startsWith('/1/keys/')
                ? {
                    value: 'k3y',
                    acl: ['search'],
                    indexes: ['kinema_videos'],
                    description: 'd',
                    maxHitsPerQuery: 100,
                    createdAt: 1,
                  }
                : request.method === 'PUT' && url.pathname.startsWith('/1/keys/')
                  ? { key: 'k3y', updatedAt: '2026-11-30T00:00:00Z' }
                  : request.method === 'DELETE'
                    ? { taskID: 8, deletedAt: '2026-11-30T00:00:00Z' }
                    : {};
      return { status: 200, isTimedOut: false, content: JSON.stringify(answer) };
    },
  };
  return { sent, requester };
}

const access = { appId: 'KINEMA1APP', adminKey: 'admin' };

describe('Algolia dynamic providers (recorded transport)', () => {
  it('index settings: create sets them and waits, diff ignores key order, delete removes the index', async () => {
    const { sent, requester } = recorded();
    const provider = indexSettingsProvider(requester);
    const inputs = { ...access, indexName: 'kinema_videos', settings: { ...ALGOLIA_INDEX_SETTINGS } };
    const created = await provider.create!(inputs);
    expect(created.id).toBe('KINEMA1APP/kinema_videos');
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      'PUT /1/indexes/kinema_videos/settings',
      'GET /1/indexes/kinema_videos/task/7',
    ]);
    expect(sent[0]?.body).toEqual(ALGOLIA_INDEX_SETTINGS);

    const reordered = { ...inputs, settings: Object.fromEntries(Object.entries(inputs.settings).reverse()) };
    expect(await provider.diff!(created.id, inputs, reordered)).toMatchObject({ changes: false, replaces: [] });
    const typoFree = { ...inputs, settings: { ...inputs.settings, typoTolerance: false } };
    expect(await provider.diff!(created.id, inputs, typoFree)).toMatchObject({ changes: true, replaces: [] });
    expect(await provider.diff!(created.id, inputs, { ...inputs, indexName: 'other' })).toMatchObject({
      changes: true,
      replaces: ['indexName'],
    });
    sent.length = 0;
    await provider.update!(created.id, inputs, typoFree);
    expect(sent[0]).toMatchObject({ method: 'PUT', body: { typoTolerance: false } });
    sent.length = 0;
    await provider.delete!(created.id, inputs);
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual(['DELETE /1/indexes/kinema_videos']);
  });

  it('API key: create adds a search-only key, update changes it in place, delete removes it', async () => {
    const { sent, requester } = recorded();
    const provider = apiKeyProvider(requester);
    const inputs = { ...access, acl: ['search'], indexes: ['kinema_videos'], description: 'd', maxHitsPerQuery: 100 };
    const created = await provider.create!(inputs);
    expect(created).toMatchObject({ id: 'k3y', outs: { key: 'k3y' } });
    expect(sent[0]).toEqual({
      method: 'POST',
      path: '/1/keys',
      body: { acl: ['search'], indexes: ['kinema_videos'], description: 'd', maxHitsPerQuery: 100 },
    });
    expect(await provider.diff!('k3y', { ...inputs, key: 'k3y' }, inputs)).toMatchObject({ changes: false });
    const wider = { ...inputs, indexes: ['kinema_videos', 'kinema_videos_newest'] };
    expect(await provider.diff!('k3y', { ...inputs, key: 'k3y' }, wider)).toMatchObject({
      changes: true,
      replaces: [],
    });
    sent.length = 0;
    await provider.delete!('k3y', inputs);
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual(['DELETE /1/keys/k3y']);
  });
});
