import { beforeAll, describe, expect, it } from 'vitest';
import { bucketChecks } from './buckets.checks.js';
import { deliveryChecks } from './delivery.checks.js';
import { engagementChecks } from './engagement.checks.js';
import { entitlementChecks } from './entitlement.checks.js';
import { handlerChecks } from './handlers.checks.js';
import { healthChecks } from './health.checks.js';
import { siteChecks } from './site.checks.js';
import { mediaPipelineChecks } from './media-pipeline.checks.js';
import { asList, leastPrivilegeViolations, mockStack, statementsOf, valueOf } from './test-support.js';

// The real Singapore stack file drives the mocks.
const { program, publicKeyPem } = mockStack('Pulumi.prod-singapore.yaml', 'prod-singapore');

const SERVICES = ['catalog', 'entitlement', 'media', 'engagement', 'notification'];
let index: typeof import('./index.js');

beforeAll(async () => {
  index = await import('./index.js');
  await program.settled();
});

describe('secondary stack (Singapore)', () => {
  it('creates no table and no replica: it looks up the replicas the primary made', () => {
    expect(program.ofType('aws:dynamodb/table:Table')).toEqual([]);
    const lookups = program.calls.filter((call) => call.token === 'aws:dynamodb/getTable:getTable');
    expect(lookups.map((call) => call.inputs.name)).toEqual(SERVICES.map((service) => `kinema-${service}`));
  });

  it('points its functions and relays at the local replicas', async () => {
    const media = program.named('aws:lambda/function:Function', 'media-fn');
    expect((media.inputs.environment as { variables: Record<string, string> }).variables.TABLE_NAME).toBe(
      'kinema-media',
    );
    const policy = program.named('aws:iam/rolePolicy:RolePolicy', 'media-fn-policy');
    const resources = statementsOf(policy.inputs.policy).flatMap((statement) => asList(statement.Resource));
    expect(resources).toContain('arn:aws:dynamodb:ap-southeast-1:123456789012:table/kinema-media');
    expect(await valueOf(index.tableNames.media!)).toBe('kinema-media');
  });

  it('keeps its outbox relays stopped while Tokyo is active, ready to start from the oldest record', () => {
    const pipes = program.ofType('aws:pipes/pipe:Pipe');
    expect(pipes).toHaveLength(SERVICES.length);
    for (const { inputs } of pipes) {
      expect(inputs.desiredState).toBe('STOPPED');
      // Promoted, it relays what Tokyo committed but never relayed; consumers drop what Tokyo did.
      const source = inputs.sourceParameters as { dynamodbStreamParameters: { startingPosition: string } };
      expect(source.dynamodbStreamParameters.startingPosition).toBe('TRIM_HORIZON');
    }
    expect(program.named('aws:cloudwatch/eventRule:EventRule', 'media-recover-schedule').inputs.state).toBe('DISABLED');
  });

  it('leaves the Auth0 tenant to the primary', () => {
    expect(program.resources.filter((resource) => resource.type.startsWith('auth0:'))).toEqual([]);
    expect(index.auth0ClientId).toBeUndefined();
  });

  it('is least privilege too', () => {
    for (const policy of program.ofType('aws:iam/rolePolicy:RolePolicy')) {
      for (const statement of statementsOf(policy.inputs.policy)) {
        expect(leastPrivilegeViolations(statement), policy.name).toEqual([]);
      }
    }
  });

  it('verifies the same issuer and audience as the primary', () => {
    const { inputs } = program.named('aws:lambda/function:Function', 'catalog-fn');
    expect((inputs.environment as { variables: Record<string, string> }).variables).toMatchObject({
      AUTH_ISSUER: 'https://kinema.jp.auth0.com/',
      AUTH_AUDIENCE: 'https://kinema.app/api',
      BUS_NAME: 'kinema',
    });
  });
});

const stack = { region: 'ap-southeast-1', peerRegion: 'ap-northeast-1', role: 'secondary' } as const;
bucketChecks(() => program, stack);
mediaPipelineChecks(() => program, stack);
siteChecks(() => program, stack, publicKeyPem);
deliveryChecks(() => program, stack);
healthChecks(() => program, stack);
handlerChecks(() => program, stack);
entitlementChecks(() => program, stack);
engagementChecks(() => program, stack);
