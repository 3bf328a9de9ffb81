import { describe, expect, it } from 'vitest';
import type { StackExpectations } from './buckets.checks.js';
import { asList, statementsOf, type MockedProgram } from './test-support.js';

/** Policy tests of infra/health.ts: the region's /healthz and its place in the API failover. */
export function healthChecks(program: () => MockedProgram, stack: StackExpectations) {
  const account = '123456789012';

  describe(`health and failover (${stack.region})`, () => {
    it('serves GET /healthz from a function that reads every table, the bus and the buckets, and nothing more', () => {
      const route = program().named('aws:apigatewayv2/route:Route', 'health-route').inputs;
      expect(route).toMatchObject({ routeKey: 'GET /healthz', target: 'integrations/health-integration-id' });
      const fn = program().named('aws:lambda/function:Function', 'health-fn').inputs;
      expect(fn).toMatchObject({ handler: 'index.handler', name: 'kinema-health' });
      const variables = (fn.environment as { variables: Record<string, string> }).variables;
      expect(variables.TABLE_NAMES?.split(',')).toHaveLength(5);
      expect(variables.BUCKET_NAMES).toBe(`kinema-app-uploads-${stack.region},kinema-app-media-${stack.region}`);
      const statements = statementsOf(
        program().named('aws:iam/rolePolicy:RolePolicy', 'health-fn-policy').inputs.policy,
      );
      const actions = statements.flatMap((statement) => asList(statement.Action)).sort();
      expect(actions).toEqual(
        [
          'dynamodb:GetItem',
          'events:DescribeEventBus',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          's3:ListBucket',
        ].sort(),
      );
    });

    it("has Route 53 probe this region's own API endpoint over HTTPS", () => {
      const check = program().named('aws:route53/healthCheck:HealthCheck', 'api-health-check').inputs;
      expect(check).toMatchObject({
        type: 'HTTPS',
        fqdn: `abc123.execute-api.${stack.region}.amazonaws.com`,
        resourcePath: '/healthz',
        port: 443,
        failureThreshold: 3,
        requestInterval: 30,
      });
    });

    it(`answers api-origin.kinema.app from this region as ${stack.role === 'primary' ? 'PRIMARY' : 'SECONDARY'} while healthy`, () => {
      const record = program().named('aws:route53/record:Record', 'api-origin-failover').inputs;
      expect(record).toMatchObject({
        name: 'api-origin.kinema.app',
        type: 'A',
        setIdentifier: `api-${stack.region}`,
        failoverRoutingPolicies: [{ type: stack.role === 'primary' ? 'PRIMARY' : 'SECONDARY' }],
        healthCheckId: 'api-health-check-id',
        aliases: [
          expect.objectContaining({
            name: `d-abcdef1234.execute-api.${stack.region}.amazonaws.com`,
            evaluateTargetHealth: true,
          }),
        ],
      });
      const domain = program().named('aws:apigatewayv2/domainName:DomainName', 'api-origin-domain').inputs;
      expect(domain).toMatchObject({
        domainName: 'api-origin.kinema.app',
        domainNameConfiguration: expect.objectContaining({
          endpointType: 'REGIONAL',
          certificateArn: `arn:aws:acm:${stack.region}:${account}:certificate/1a2b3c4d-0000-1111-2222-333344445555`,
        }),
      });
      expect(program().named('aws:apigatewayv2/apiMapping:ApiMapping', 'api-origin-mapping').inputs).toMatchObject({
        apiId: 'api-id',
        stage: '$default',
      });
    });
  });
}
