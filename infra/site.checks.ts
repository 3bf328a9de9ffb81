import { describe, expect, it } from 'vitest';
import type { StackExpectations } from './buckets.checks.js';
import { PRIMARY_OUTPUTS, statementsOf, type MockedProgram, type Statement } from './test-support.js';

interface Behaviour {
  pathPattern?: string;
  targetOriginId: string;
  viewerProtocolPolicy: string;
  trustedKeyGroups?: string[];
  allowedMethods: string[];
  cachePolicyId: string;
  originRequestPolicyId?: string;
  lambdaFunctionAssociations?: { eventType: string; lambdaArn: string; includeBody?: boolean }[];
}

const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

/** Policy tests of infra/site.ts: the one site origin, owned by the primary. */
export function siteChecks(program: () => MockedProgram, stack: StackExpectations, publicKeyPem: string) {
  const account = '123456789012';
  const distributions = () => program().ofType('aws:cloudfront/distribution:Distribution');

  if (stack.role === 'secondary') {
    describe(`site (${stack.region}): the standby serves through the primary's distribution`, () => {
      it('creates no distribution, site certificate, edge function or key of its own', () => {
        expect(distributions()).toEqual([]);
        const certificates = program().ofType('aws:acm/certificate:Certificate');
        // Only its API's regional certificate for the failover name (infra/health.ts).
        expect(certificates.map((found) => [found.inputs.domainName, found.region])).toEqual([
          ['api-origin.kinema.app', stack.region],
        ]);
        expect(program().ofType('aws:cloudfront/publicKey:PublicKey')).toEqual([]);
      });

      it("reads the primary's exports through a stack reference named in its stack file", () => {
        const [reference, ...others] = program().ofType('pulumi:pulumi:StackReference');
        expect(others).toEqual([]);
        expect(reference?.inputs.name).toBe('kinema/kinema/prod-tokyo');
      });

      it("keeps its own copy of the static files and lets the primary's distribution read it and its media (the failover origins)", () => {
        for (const [policyName, resource] of [
          ['media-policy', `arn:aws:s3:::kinema-app-media-${stack.region}/media/*`],
          ['site-assets-policy', `arn:aws:s3:::kinema-app-site-${stack.region}/*`],
        ] as const) {
          const policy = program().named('aws:s3/bucketPolicy:BucketPolicy', policyName);
          const allows = (statementsOf(policy.inputs.policy) as (Statement & { Condition?: unknown })[]).filter(
            (statement) => statement.Effect === 'Allow',
          );
          expect(allows).toEqual([
            expect.objectContaining({
              Resource: resource,
              Condition: { StringEquals: { 'AWS:SourceArn': PRIMARY_OUTPUTS.siteDistributionArn } },
            }),
          ]);
        }
        const keys = program()
          .ofType('aws:s3/bucketObjectv2:BucketObjectv2')
          .map((object) => object.inputs.key);
        expect(keys.sort()).toEqual(['_app/immutable/entry/start.abc123.js', '_app/version.json', 'robots.txt']);
      });
    });
    return;
  }

  describe(`site (${stack.region}): one distribution for kinema.app`, () => {
    const site = () => program().named('aws:cloudfront/distribution:Distribution', 'site-cdn').inputs;
    const behaviours = () => {
      const inputs = site();
      const ordered = inputs.orderedCacheBehaviors as Behaviour[];
      const at = (path: string) => ordered.find((behaviour) => behaviour.pathPattern === path);
      return { ordered, at, fallback: inputs.defaultCacheBehavior as Behaviour };
    };

    it('is the only distribution, aliased to the domain with an ACM certificate made and validated in us-east-1', () => {
      expect(distributions().map((found) => found.name)).toEqual(['site-cdn']);
      expect(site().aliases).toEqual(['kinema.app']);
      const certificate = program().named('aws:acm/certificate:Certificate', 'site-certificate');
      expect(certificate.region).toBe('us-east-1');
      expect(certificate.inputs).toMatchObject({ domainName: 'kinema.app', validationMethod: 'DNS' });
      const validation = program().named(
        'aws:acm/certificateValidation:CertificateValidation',
        'site-certificate-validated',
      );
      expect(validation.region).toBe('us-east-1');
      expect(validation.inputs.validationRecordFqdns).toEqual(['_0123456789abcdef.kinema.app']);
      expect(site().viewerCertificate).toEqual({
        acmCertificateArn: `arn:aws:acm:us-east-1:${account}:certificate/1a2b3c4d-0000-1111-2222-333344445555`,
        sslSupportMethod: 'sni-only',
        minimumProtocolVersion: 'TLSv1.2_2021',
      });
    });

    it('has the four behaviours: pages on Lambda@Edge, /_app/*, /api/*, /media/* (and the public poster)', () => {
      const { ordered, at, fallback } = behaviours();
      expect(ordered.map((behaviour) => behaviour.pathPattern)).toEqual([
        '/media/videos/*/poster.jpg',
        '/media/*',
        '/api/*',
        '/_app/*',
      ]);
      expect(fallback).toMatchObject({
        targetOriginId: 'site-assets',
        cachePolicyId: CACHING_DISABLED,
        originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
        lambdaFunctionAssociations: [
          {
            eventType: 'origin-request',
            // A numbered version: CloudFront refuses $LATEST.
            lambdaArn: `arn:aws:lambda:us-east-1:${account}:function:kinema-site-edge:1`,
            includeBody: true,
          },
        ],
      });
      expect(fallback.allowedMethods).toEqual(expect.arrayContaining(['POST', 'PUT', 'DELETE']));
      expect(at('/_app/*')).toMatchObject({ targetOriginId: 'site-assets-failover', cachePolicyId: CACHING_OPTIMIZED });
      expect(at('/api/*')).toMatchObject({
        targetOriginId: 'api',
        cachePolicyId: CACHING_DISABLED,
        originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
      });
      expect(at('/api/*')?.allowedMethods.sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
      expect(at('/media/*')).toMatchObject({
        targetOriginId: 'media-failover',
        trustedKeyGroups: ['playback-key-group-id'],
      });
      expect(at('/media/*')?.allowedMethods.sort()).toEqual(['GET', 'HEAD', 'OPTIONS']);
      expect(at('/media/videos/*/poster.jpg')?.trustedKeyGroups).toBeUndefined();
      for (const behaviour of [...ordered, fallback]) expect(behaviour.viewerProtocolPolicy).toBe('redirect-to-https');
    });

    it('sends /api/* to the failover name over HTTPS and reads media from either region through OAC', () => {
      const origins = site().origins as Record<string, unknown>[];
      expect(origins.map((origin) => origin.originId).sort()).toEqual([
        'api',
        'media',
        'media-standby',
        'site-assets',
        'site-assets-standby',
      ]);
      expect(origins.find((origin) => origin.originId === 'site-assets-standby')).toMatchObject({
        domainName: `kinema-app-site-${stack.peerRegion}.s3.${stack.peerRegion}.amazonaws.com`,
      });
      expect(origins.find((origin) => origin.originId === 'api')).toMatchObject({
        domainName: 'api-origin.kinema.app',
        customOriginConfig: { originProtocolPolicy: 'https-only' },
      });
      expect(origins.find((origin) => origin.originId === 'media-standby')).toMatchObject({
        domainName: `kinema-app-media-${stack.peerRegion}.s3.${stack.peerRegion}.amazonaws.com`,
      });
      expect(site().originGroups).toEqual([
        {
          originId: 'media-failover',
          failoverCriteria: { statusCodes: [500, 502, 503, 504] },
          members: [{ originId: 'media' }, { originId: 'media-standby' }],
        },
        {
          originId: 'site-assets-failover',
          failoverCriteria: { statusCodes: [500, 502, 503, 504] },
          members: [{ originId: 'site-assets' }, { originId: 'site-assets-standby' }],
        },
      ]);
      for (const id of ['media', 'media-standby', 'site-assets', 'site-assets-standby']) {
        expect(origins.find((origin) => origin.originId === id)).toMatchObject({
          originAccessControlId: 'site-oac-id',
        });
      }
    });

    it('verifies playback cookies with the configured public key', () => {
      const key = program().named('aws:cloudfront/publicKey:PublicKey', 'playback-public-key').inputs;
      expect(key.encodedKey).toBe(publicKeyPem);
      expect(program().named('aws:cloudfront/keyGroup:KeyGroup', 'playback-key-group').inputs.items).toEqual([
        'playback-public-key-id',
      ]);
    });

    it('runs the SSR function in us-east-1, published, x86_64, with no environment', () => {
      const edge = program().named('aws:lambda/function:Function', 'site-edge-fn');
      expect(edge.region).toBe('us-east-1');
      expect(edge.inputs).toMatchObject({ name: 'kinema-site-edge', publish: true, architectures: ['x86_64'] });
      expect(edge.inputs.environment).toBeUndefined();
      expect(Number(edge.inputs.timeout)).toBeLessThanOrEqual(30);
      const others = program()
        .ofType('aws:lambda/function:Function')
        .filter((fn) => fn.name !== 'site-edge-fn');
      for (const fn of others) expect(fn.region, fn.name).toBe(stack.region);
    });

    it('puts the playback cookies on the distribution alias (first-party, scoped per title by the service)', () => {
      const { variables } = program().named('aws:lambda/function:Function', 'entitlement-fn').inputs.environment as {
        variables: Record<string, string>;
      };
      expect(variables.COOKIE_DOMAIN).toBe((site().aliases as string[])[0]);
      expect(new URL(variables.MEDIA_ORIGIN!).host).toBe((site().aliases as string[])[0]);
    });

    it('points the domain at the distribution (A and AAAA aliases in the configured zone)', () => {
      for (const type of ['A', 'AAAA']) {
        const record = program().named('aws:route53/record:Record', `site-alias-${type}`).inputs;
        expect(record).toMatchObject({
          zoneId: 'Z0123456789ABCDEFGHIJ',
          name: 'kinema.app',
          type,
          aliases: [{ name: 'd-site-cdn.cloudfront.net', zoneId: 'Z2FDTNDATAQYW2', evaluateTargetHealth: false }],
        });
      }
    });

    it('uploads the static files with a year of caching for hashed ones only', () => {
      const objects = program().ofType('aws:s3/bucketObjectv2:BucketObjectv2');
      const byKey = Object.fromEntries(objects.map((object) => [object.inputs.key, object.inputs]));
      expect(Object.keys(byKey).sort()).toEqual([
        '_app/immutable/entry/start.abc123.js',
        '_app/version.json',
        'robots.txt',
      ]);
      expect(byKey['_app/immutable/entry/start.abc123.js']).toMatchObject({
        cacheControl: 'public, max-age=31536000, immutable',
        contentType: 'text/javascript; charset=utf-8',
      });
      expect(byKey['_app/version.json']?.cacheControl).toBe('public, max-age=0, must-revalidate');
    });

    it('gives the edge function no secret: its config names where the secret is, in us-east-1', async () => {
      const { edgeConfig } = await import('./site.js');
      const { parseStackConfig } = await import('./config.js');
      const { readStackFile } = await import('./test-support.js');
      const config = parseStackConfig(readStackFile(new URL('../Pulumi.prod-tokyo.yaml', import.meta.url).pathname));
      const secretArn = `arn:aws:secretsmanager:us-east-1:${account}:secret:kinema/web-AbCdEf`;
      const value = await new Promise<Record<string, unknown>>((resolve) =>
        edgeConfig(config, 'client-web', secretArn).apply(resolve),
      );
      expect(value).toEqual({
        KINEMA_PUBLIC_URL: 'https://kinema.app',
        KINEMA_API_ORIGIN: 'https://kinema.app',
        KINEMA_OIDC_ISSUER: 'https://kinema.jp.auth0.com/',
        KINEMA_OIDC_CLIENT_ID: 'client-web',
        KINEMA_OIDC_CLIENT_AUTH: 'client_secret_post',
        KINEMA_OIDC_AUDIENCE: 'https://kinema.app/api',
        secrets: { secretId: secretArn, region: 'us-east-1' },
      });
      const secret = program().named('aws:secretsmanager/secret:Secret', 'web-secret');
      expect(secret.region).toBe('us-east-1');
      const policy = program().named('aws:iam/rolePolicy:RolePolicy', 'site-edge-policy');
      expect(statementsOf(policy.inputs.policy)[0]).toEqual({
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [secretArn],
      });
    });

    it('refuses to deploy the site without the playback public key or without the edge build', async () => {
      const { siteDistribution } = await import('./site.js');
      const { parseStackConfig } = await import('./config.js');
      const { readStackFile } = await import('./test-support.js');
      const config = parseStackConfig(readStackFile(new URL('../Pulumi.prod-tokyo.yaml', import.meta.url).pathname));
      const media = {} as never;
      expect(() => siteDistribution({ config, media, webClientId: 'x' })).toThrow(
        /kinema:cloudFrontPublicKey is not set/,
      );
      const withKey = { ...config, cloudFrontPublicKey: publicKeyPem };
      expect(() => siteDistribution({ config: withKey, media, webClientId: 'x', edgeDir: '/nonexistent' })).toThrow(
        /run npm run build:edge/,
      );
    });

    it('lets only this distribution read the assets and media buckets', () => {
      for (const [name, resource] of [
        ['site-assets-policy', `arn:aws:s3:::kinema-app-site-${stack.region}/*`],
        ['media-policy', `arn:aws:s3:::kinema-app-media-${stack.region}/media/*`],
      ] as const) {
        const policy = program().named('aws:s3/bucketPolicy:BucketPolicy', name);
        const allows = (statementsOf(policy.inputs.policy) as (Statement & { Condition?: unknown })[]).filter(
          (statement) => statement.Effect === 'Allow',
        );
        expect(allows).toEqual([
          expect.objectContaining({
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Resource: resource,
            Condition: { StringEquals: { 'AWS:SourceArn': PRIMARY_OUTPUTS.siteDistributionArn } },
          }),
        ]);
      }
    });
  });
}
