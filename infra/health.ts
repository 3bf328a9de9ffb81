import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { httpApi } from './api.js';
import type { StackBucket } from './buckets.js';
import { bus } from './bus.js';
import type { StackConfig } from './config.js';
import { policyDocument, serviceAssumeRole } from './iam.js';
import { functionLogGroup, nodeFunction } from './lambda.js';
import type { ServiceTable } from './tables.js';

/**
 * The name CloudFront's `/api/*` origin uses: a Route 53 failover record answering with a
 * healthy region's HTTP API (Tokyo first, Singapore when Tokyo's `/healthz` fails). Each
 * region's API carries it as a custom domain, so the Host CloudFront sends is one both accept.
 */
export const apiOriginHost = (config: Pick<StackConfig, 'domain'>) => `api-origin.${config.domain}`;

/** Route 53's view of a region: `/healthz` over HTTPS every 30 s, three failures to fail over. */
export const HEALTH_CHECK = { path: '/healthz', intervalSeconds: 30, failureThreshold: 3 } as const;

/**
 * The region's health and its place in the API failover: a `GET /healthz` function checking the
 * region's real dependencies (every table reads, the bus, the buckets), a Route 53 health check on
 * it, the `api-origin` custom domain (regional certificate) and this region's failover record:
 * PRIMARY in the primary stack, SECONDARY in the other, each tied to its own health check.
 */
export function regionHealth(args: { config: StackConfig; tables: ServiceTable[]; buckets: StackBucket[] }) {
  const { config, tables, buckets } = args;
  const functionName = 'kinema-health';
  const logGroup = functionLogGroup('health-logs', functionName, config);
  const role = new aws.iam.Role('health-fn-role', {
    name: `kinema-${config.region}-health`,
    assumeRolePolicy: serviceAssumeRole('lambda.amazonaws.com'),
  });
  const policy = new aws.iam.RolePolicy('health-fn-policy', {
    role: role.id,
    policy: policyDocument([
      { Action: ['dynamodb:GetItem'], Resource: tables.map((table) => table.arn) },
      { Action: ['events:DescribeEventBus'], Resource: [bus.arn] },
      // HeadBucket is authorised as ListBucket.
      { Action: ['s3:ListBucket'], Resource: buckets.map((bucket) => bucket.arn) },
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [pulumi.interpolate`${logGroup.arn}:*`] },
    ]),
  });
  const fn = nodeFunction('health-fn', {
    functionName,
    service: 'health',
    handler: 'index.handler',
    role,
    logGroup,
    environment: {
      TABLE_NAMES: pulumi.all(tables.map((table) => table.name)).apply((names) => names.join(',')),
      BUS_NAME: bus.name,
      BUCKET_NAMES: pulumi.all(buckets.map((bucket) => bucket.name)).apply((names) => names.join(',')),
    },
    timeout: 10,
    memorySize: 256,
    dependsOn: [policy],
  });
  const integration = new aws.apigatewayv2.Integration('health-integration', {
    apiId: httpApi.id,
    integrationType: 'AWS_PROXY',
    integrationUri: fn.invokeArn,
    payloadFormatVersion: '2.0',
  });
  const route = new aws.apigatewayv2.Route('health-route', {
    apiId: httpApi.id,
    routeKey: `GET ${HEALTH_CHECK.path}`,
    target: pulumi.interpolate`integrations/${integration.id}`,
  });
  const invoke = new aws.lambda.Permission('health-api-invoke', {
    action: 'lambda:InvokeFunction',
    function: fn.name,
    principal: 'apigateway.amazonaws.com',
    sourceArn: pulumi.interpolate`${httpApi.executionArn}/*/GET${HEALTH_CHECK.path}`,
  });

  // Route 53 probes the region's own API endpoint, not the failover name (which would follow itself).
  const check = new aws.route53.HealthCheck('api-health-check', {
    type: 'HTTPS',
    fqdn: httpApi.apiEndpoint.apply((endpoint) => new URL(endpoint).host),
    port: 443,
    resourcePath: HEALTH_CHECK.path,
    requestInterval: HEALTH_CHECK.intervalSeconds,
    failureThreshold: HEALTH_CHECK.failureThreshold,
    measureLatency: true,
    tags: { Name: `kinema-api-${config.region}` },
  });

  const zone = aws.route53.getZoneOutput({ name: config.hostedZone, privateZone: false });
  const host = apiOriginHost(config);
  const certificate = new aws.acm.Certificate('api-origin-certificate', {
    domainName: host,
    validationMethod: 'DNS',
    tags: { purpose: 'api-origin' },
  });
  const validation = certificate.domainValidationOptions[0]!;
  // ACM asks for the same record in both regions (same name, same account): either stack may write it.
  const validationRecord = new aws.route53.Record('api-origin-certificate-validation', {
    zoneId: zone.zoneId,
    name: validation.resourceRecordName,
    type: validation.resourceRecordType,
    records: [validation.resourceRecordValue],
    ttl: 300,
    allowOverwrite: true,
  });
  const validated = new aws.acm.CertificateValidation('api-origin-certificate-validated', {
    certificateArn: certificate.arn,
    validationRecordFqdns: [validationRecord.fqdn],
  });
  const domain = new aws.apigatewayv2.DomainName('api-origin-domain', {
    domainName: host,
    domainNameConfiguration: {
      certificateArn: validated.certificateArn,
      endpointType: 'REGIONAL',
      securityPolicy: 'TLS_1_2',
    },
  });
  const mapping = new aws.apigatewayv2.ApiMapping('api-origin-mapping', {
    apiId: httpApi.id,
    domainName: domain.id,
    stage: '$default',
  });
  const failover = config.role === 'primary' ? 'PRIMARY' : 'SECONDARY';
  const record = new aws.route53.Record('api-origin-failover', {
    zoneId: zone.zoneId,
    name: host,
    type: 'A',
    setIdentifier: `api-${config.region}`,
    failoverRoutingPolicies: [{ type: failover }],
    healthCheckId: check.id,
    aliases: [
      {
        name: domain.domainNameConfiguration.targetDomainName,
        zoneId: domain.domainNameConfiguration.hostedZoneId,
        evaluateTargetHealth: true,
      },
    ],
  });
  return { fn, role, policy, logGroup, integration, route, invoke, check, certificate, domain, mapping, record };
}
