import { describe, expect, it } from 'vitest';
import type { StackExpectations } from './buckets.checks.js';
import { asList, statementsOf, type MockedProgram, type Statement } from './test-support.js';

interface Behaviour {
  pathPattern?: string;
  targetOriginId: string;
  viewerProtocolPolicy: string;
  trustedKeyGroups?: string[];
  allowedMethods: string[];
}

/** Policy tests of infra/cdn.ts (the media CDN, its key group and the cookie key secret). */
export function cdnChecks(program: () => MockedProgram, stack: StackExpectations, publicKeyPem: string) {
  const distribution = () => program().named('aws:cloudfront/distribution:Distribution', 'media-cdn').inputs;
  const behaviours = () => {
    const inputs = distribution();
    return {
      ordered: inputs.orderedCacheBehaviors as Behaviour[],
      fallback: inputs.defaultCacheBehavior as Behaviour,
    };
  };
  const distributionArn = 'arn:aws:cloudfront::123456789012:distribution/EMEDIA-CDN';
  const secretArn = `arn:aws:secretsmanager:${stack.region}:123456789012:secret:kinema/cloudfront-private-key-AbCdEf`;

  describe(`media CDN (${stack.region}): HLS only with signed cookies`, () => {
    it('requires the key group on the HLS behaviour; the key group holds the configured public key', () => {
      const hls = behaviours().ordered.find((found) => found.pathPattern === '/media/videos/*/hls/*');
      expect(hls?.trustedKeyGroups).toEqual(['media-key-group-id']);
      const group = program().named('aws:cloudfront/keyGroup:KeyGroup', 'media-key-group').inputs;
      expect(group.items).toEqual(['media-public-key-id']);
      const key = program().named('aws:cloudfront/publicKey:PublicKey', 'media-public-key').inputs;
      expect(key.encodedKey).toBe(publicKeyPem);
      expect(String(key.encodedKey)).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    });

    it('keeps everything else private by default; only the poster is public', () => {
      const { ordered, fallback } = behaviours();
      expect(fallback.trustedKeyGroups).toEqual(['media-key-group-id']);
      const open = ordered.filter((found) => !found.trustedKeyGroups?.length).map((found) => found.pathPattern);
      expect(open).toEqual(['/media/videos/*/poster.jpg']);
    });

    it('serves HTTPS only, read-only, from the one bucket origin through Origin Access Control (SigV4)', () => {
      const { ordered, fallback } = behaviours();
      for (const behaviour of [...ordered, fallback]) {
        expect(behaviour.viewerProtocolPolicy).toBe('https-only');
        expect(behaviour.allowedMethods.sort()).toEqual(['GET', 'HEAD', 'OPTIONS']);
        expect(behaviour.targetOriginId).toBe('media-bucket');
      }
      const [origin, ...others] = distribution().origins as Record<string, unknown>[];
      expect(others).toEqual([]);
      expect(origin).toMatchObject({
        originId: 'media-bucket',
        domainName: `kinema-app-media-${stack.region}.s3.${stack.region}.amazonaws.com`,
        originAccessControlId: 'media-oac-id',
      });
      expect(
        program().named('aws:cloudfront/originAccessControl:OriginAccessControl', 'media-oac').inputs,
      ).toMatchObject({
        originAccessControlOriginType: 's3',
        signingBehavior: 'always',
        signingProtocol: 'sigv4',
      });
    });

    it('answers CORS with credentials for https://kinema.app only', () => {
      const headers = program().named('aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy', 'media-headers');
      expect(headers.inputs.corsConfig).toMatchObject({
        accessControlAllowCredentials: true,
        accessControlAllowOrigins: { items: ['https://kinema.app'] },
      });
      const { ordered, fallback } = behaviours();
      for (const behaviour of [...ordered, fallback]) {
        expect((behaviour as unknown as { responseHeadersPolicyId: string }).responseHeadersPolicyId).toBe(
          'media-headers-id',
        );
      }
    });

    it('lets only this distribution read media/* from the bucket, which stays non-public', () => {
      const policy = program().named('aws:s3/bucketPolicy:BucketPolicy', 'media-policy');
      expect(policy.inputs.bucket).toBe('media-bucket-id');
      const allows = (statementsOf(policy.inputs.policy) as (Statement & { Condition?: unknown })[]).filter(
        (statement) => statement.Effect === 'Allow',
      );
      expect(allows).toEqual([
        expect.objectContaining({
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::kinema-app-media-${stack.region}/media/*`,
          Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
        }),
      ]);
      const block = program().named('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'media-public-access');
      expect(block.inputs).toMatchObject({ blockPublicPolicy: true, restrictPublicBuckets: true });
    });

    it('refuses to build the CDN without the public key', async () => {
      const { mediaCdn } = await import('./cdn.js');
      const { parseStackConfig } = await import('./config.js');
      const { readStackFile } = await import('./test-support.js');
      const file = stack.role === 'primary' ? 'Pulumi.prod-tokyo.yaml' : 'Pulumi.prod-singapore.yaml';
      const config = parseStackConfig(readStackFile(new URL(`../${file}`, import.meta.url).pathname));
      expect(() => mediaCdn({ ...config, cloudFrontPublicKey: undefined }, {} as never)).toThrow(
        /kinema:cloudFrontPublicKey is not set/,
      );
    });
  });

  describe(`media CDN (${stack.region}): the cookie-signing key`, () => {
    if (stack.role === 'primary') {
      it('creates the private-key secret, replicated to the peer region, with no value in Pulumi', () => {
        const secret = program().named('aws:secretsmanager/secret:Secret', 'cloudfront-private-key').inputs;
        expect(secret).toMatchObject({
          name: 'kinema/cloudfront-private-key',
          replicas: [{ region: stack.peerRegion }],
        });
        expect(program().ofType('aws:secretsmanager/secretVersion:SecretVersion')).toEqual([]);
      });
    } else {
      it("uses the primary's replica of the secret instead of creating one", () => {
        expect(program().ofType('aws:secretsmanager/secret:Secret')).toEqual([]);
        const lookups = program().calls.filter((call) => call.token === 'aws:secretsmanager/getSecret:getSecret');
        const names = lookups
          .map((call) => String(call.inputs.name))
          .filter((name) => !name.startsWith('kinema/stripe-') && name !== 'kinema/unsubscribe-key');
        expect(names).toEqual(['kinema/cloudfront-private-key']);
      });
    }

    it('lets the entitlement service, and nothing else, read that secret only', () => {
      for (const policy of program().ofType('aws:iam/rolePolicy:RolePolicy')) {
        const reads = statementsOf(policy.inputs.policy).filter((statement) =>
          asList(statement.Action).some((action) => action.startsWith('secretsmanager:')),
        );
        if (policy.name !== 'entitlement-fn-policy') {
          expect(reads, policy.name).toEqual([]);
          continue;
        }
        // The entitlement role also reads Stripe's secrets (infra/entitlement.checks.ts); of this key, read only.
        const ofKey = reads.filter((statement) => asList(statement.Resource).includes(secretArn));
        expect(ofKey).toEqual([{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] }]);
      }
      const { variables } = program().named('aws:lambda/function:Function', 'entitlement-fn').inputs.environment as {
        variables: Record<string, string>;
      };
      expect(variables).toMatchObject({
        CLOUDFRONT_KEY_PAIR_ID: 'media-public-key-id',
        CLOUDFRONT_PRIVATE_KEY_SECRET_ARN: secretArn,
        MEDIA_ORIGIN: 'https://d-media-cdn.cloudfront.net',
      });
    });
  });
}
