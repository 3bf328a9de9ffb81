import { describe, expect, it } from 'vitest';
import type { StackExpectations } from './buckets.checks.js';
import { asList, statementsOf, type MockedProgram } from './test-support.js';

/** Policy tests of infra/entitlement.ts: Stripe's secrets, the Lambda's env and grants, the webhook route. */
export function entitlementChecks(program: () => MockedProgram, stack: StackExpectations) {
  const arnOf = (name: string) => `arn:aws:secretsmanager:${stack.region}:123456789012:secret:${name}-AbCdEf`;
  const stripeKey = arnOf('kinema/stripe-secret-key');
  const webhookSecret = arnOf('kinema/stripe-webhook-secret');
  const cookieKey = arnOf('kinema/cloudfront-private-key');

  describe(`entitlement (${stack.region}): Stripe secrets and the webhook`, () => {
    if (stack.role === 'primary') {
      it('creates both Stripe secrets, replicated to the peer region, with no value in Pulumi', () => {
        const names = program()
          .ofType('aws:secretsmanager/secret:Secret')
          .map((secret) => secret.inputs)
          .filter((inputs) => String(inputs.name).startsWith('kinema/stripe-'));
        expect(names).toEqual([
          expect.objectContaining({ name: 'kinema/stripe-secret-key', replicas: [{ region: stack.peerRegion }] }),
          expect.objectContaining({ name: 'kinema/stripe-webhook-secret', replicas: [{ region: stack.peerRegion }] }),
        ]);
        expect(program().ofType('aws:secretsmanager/secretVersion:SecretVersion')).toEqual([]);
      });
    } else {
      it("looks up the primary's replicas instead of creating secrets", () => {
        const created = program().ofType('aws:secretsmanager/secret:Secret');
        expect(created).toEqual([]);
        const lookups = program()
          .calls.filter((call) => call.token === 'aws:secretsmanager/getSecret:getSecret')
          .map((call) => call.inputs.name);
        expect(lookups).toEqual(expect.arrayContaining(['kinema/stripe-secret-key', 'kinema/stripe-webhook-secret']));
      });
    }

    it('gives the entitlement role GetSecretValue on exactly the Stripe secrets and the cookie key', () => {
      for (const policy of program().ofType('aws:iam/rolePolicy:RolePolicy')) {
        const resources = statementsOf(policy.inputs.policy)
          .filter((statement) => asList(statement.Action).some((action) => action.startsWith('secretsmanager:')))
          .flatMap((statement) => {
            expect(statement.Action).toEqual(['secretsmanager:GetSecretValue']);
            return asList(statement.Resource);
          });
        if (policy.name === 'entitlement-fn-policy') {
          expect(resources.sort()).toEqual([cookieKey, stripeKey, webhookSecret].sort());
        } else {
          expect(
            resources.filter((arn) => arn.includes(':secret:kinema/stripe-')),
            policy.name,
          ).toEqual([]);
        }
      }
    });

    it('injects the secret values from Secrets Manager (read at deploy) and the site origin', () => {
      const reads = program()
        .calls.filter((call) => call.token === 'aws:secretsmanager/getSecretVersion:getSecretVersion')
        .map((call) => call.inputs.secretId);
      expect(reads).toEqual(expect.arrayContaining([stripeKey, webhookSecret, cookieKey]));
      for (const name of ['entitlement-fn', 'entitlement-events-fn']) {
        const { variables } = program().named('aws:lambda/function:Function', name).inputs.environment as {
          variables: Record<string, unknown>;
        };
        expect(Object.keys(variables)).toEqual(
          expect.arrayContaining(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'CLOUDFRONT_PRIVATE_KEY']),
        );
        expect(variables).toMatchObject({
          SITE_ORIGIN: 'https://kinema.app',
          STRIPE_SECRET_KEY_SECRET_ARN: stripeKey,
          STRIPE_WEBHOOK_SECRET_SECRET_ARN: webhookSecret,
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
      // The route matches the webhook path (API Gateway's {proxy+} is one or more segments).
      expect('/api/entitlement/webhooks/stripe').toMatch(/^\/api\/entitlement\/.+$/);
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
