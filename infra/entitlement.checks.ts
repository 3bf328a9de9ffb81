import { describe, expect, it } from 'vitest';
import type { StackExpectations } from './buckets.checks.js';
import { STRIPE_WEBHOOK_PATH } from './entitlement.js';
import { asList, statementsOf, type MockedProgram } from './test-support.js';

/** Policy tests of infra/entitlement.ts: Stripe's secrets, the Lambda's env and grants, the webhook route. */
export function entitlementChecks(program: () => MockedProgram, stack: StackExpectations) {
  const arnOf = (name: string) => `arn:aws:secretsmanager:${stack.region}:123456789012:secret:${name}-AbCdEf`;
  const stripeKey = arnOf('kinema/stripe-secret-key');
  const webhookSecret = arnOf('kinema/stripe-webhook-secret');
  const cookieKey = arnOf('kinema/cloudfront-private-key');

  const planSync = arnOf('kinema/auth0-plan-sync-client-secret');
  const SECRETS = [
    'kinema/stripe-secret-key',
    'kinema/stripe-webhook-secret',
    'kinema/cloudfront-private-key',
    'kinema/auth0-plan-sync-client-secret',
  ];

  describe(`entitlement (${stack.region}): secrets at run time and the webhook`, () => {
    if (stack.role === 'primary') {
      it('creates its four secrets empty, replicated to the peer region: no value in Pulumi', () => {
        const created = program()
          .ofType('aws:secretsmanager/secret:Secret')
          .filter((secret) => SECRETS.includes(String(secret.inputs.name)));
        expect(created.map((secret) => secret.inputs.name).sort()).toEqual([...SECRETS].sort());
        for (const { inputs } of created) expect(inputs.replicas).toEqual([{ region: stack.peerRegion }]);
        expect(program().ofType('aws:secretsmanager/secretVersion:SecretVersion')).toEqual([]);
      });
    } else {
      it("looks up the primary's replicas instead of creating secrets", () => {
        expect(program().ofType('aws:secretsmanager/secret:Secret')).toEqual([]);
        const lookups = program()
          .calls.filter((call) => call.token === 'aws:secretsmanager/getSecret:getSecret')
          .map((call) => call.inputs.name);
        expect([...lookups].sort()).toEqual([...SECRETS].sort());
      });
    }

    it('gives the entitlement role GetSecretValue on exactly its secrets, and no other role any', () => {
      for (const policy of program().ofType('aws:iam/rolePolicy:RolePolicy')) {
        const resources = statementsOf(policy.inputs.policy)
          .filter((statement) => asList(statement.Action).some((action) => action.startsWith('secretsmanager:')))
          .flatMap((statement) => {
            expect(statement.Action).toEqual(['secretsmanager:GetSecretValue']);
            return asList(statement.Resource);
          });
        if (policy.name === 'entitlement-fn-policy') {
          expect(resources.sort()).toEqual([cookieKey, planSync, stripeKey, webhookSecret].sort());
        } else if (policy.name !== 'site-edge-policy') {
          expect(resources, policy.name).toEqual([]);
        }
      }
    });

    it('never reads a secret value at deploy time: the first pulumi up works on empty secrets', () => {
      const reads = program().calls.filter((call) => call.token.includes('getSecretVersion'));
      expect(reads).toEqual([]);
    });

    it('tells the functions where the secrets are (ARNs), the site origin and the playback key', () => {
      for (const name of ['entitlement-fn', 'entitlement-events-fn']) {
        const { variables } = program().named('aws:lambda/function:Function', name).inputs.environment as {
          variables: Record<string, unknown>;
        };
        expect(variables).toMatchObject({
          SITE_ORIGIN: 'https://kinema.app',
          MEDIA_ORIGIN: 'https://kinema.app',
          STRIPE_SECRET_KEY_SECRET_ARN: stripeKey,
          STRIPE_WEBHOOK_SECRET_SECRET_ARN: webhookSecret,
          CLOUDFRONT_PRIVATE_KEY_SECRET_ARN: cookieKey,
          AUTH0_MGMT_CLIENT_SECRET_ARN: planSync,
          // The primary's key, the standby's read through its stack reference: the same id.
          CLOUDFRONT_KEY_PAIR_ID: 'playback-public-key-id',
        });
      }
    });

    it('serves the webhook through the existing /api/entitlement/{proxy+} route to the HTTP function', () => {
      const route = program().named('aws:apigatewayv2/route:Route', 'entitlement-route');
      expect(route.inputs.routeKey).toBe('ANY /api/entitlement/{proxy+}');
      expect(route.inputs.target).toBe('integrations/entitlement-integration-id');
      const integration = program().named('aws:apigatewayv2/integration:Integration', 'entitlement-integration');
      expect(String(integration.inputs.integrationUri)).toContain('function:kinema-entitlement/invocations');
      expect(integration.inputs.payloadFormatVersion).toBe('2.0');
      // The path given to Stripe (infra/entitlement.ts) is one this route key matches: {proxy+} is
      // one or more segments after the literal prefix.
      const pattern = new RegExp(
        `^${String(route.inputs.routeKey)
          .replace(/^ANY /, '')
          .replace(/\{proxy\+\}$/, '(?<proxy>.+)')}$`,
      );
      expect(STRIPE_WEBHOOK_PATH).toMatch(pattern);
      expect('/api/entitlement').not.toMatch(pattern);
    });

    it('consumes the catalog title events and its own subscription events (the Auth0 plan claim)', () => {
      const rules = program()
        .ofType('aws:cloudwatch/eventRule:EventRule')
        .filter((rule) => rule.name.startsWith('rule-entitlement-'))
        .map((rule) => JSON.parse(String(rule.inputs.eventPattern)) as Record<string, string[]>);
      expect(rules.map((pattern) => pattern['detail-type']![0]).sort()).toEqual(
        [
          'VideoCreated',
          'VideoDeleted',
          'VideoPublished',
          'VideoUnpublished',
          'VideoUpdated',
          'SubscriptionStarted',
          'SubscriptionRenewed',
          'SubscriptionCancelled',
          'SubscriptionEnded',
        ].sort(),
      );
    });
  });
}
