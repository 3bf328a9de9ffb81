import { describe, expect, it } from 'vitest';
import { asList, statementsOf, type MockedProgram, type Statement } from './test-support.js';

/**
 * Policy tests of infra/buckets.ts, run inside a stack's mocked program (primary.test.ts and
 * secondary.test.ts), so the program is built once per stack rather than once per concern.
 */
export interface StackExpectations {
  region: string;
  peerRegion: string;
  role: 'primary' | 'secondary';
}

const S3 = (arn: string) => `arn:aws:s3:::${arn}`;
const name = (kind: string, region: string) => `kinema-app-${kind}-${region}`;

export function s3Statements(program: MockedProgram, policyName: string): Statement[] {
  const policy = program.named('aws:iam/rolePolicy:RolePolicy', policyName);
  return statementsOf(policy.inputs.policy).filter((statement) =>
    asList(statement.Action).some((action) => action.startsWith('s3:')),
  );
}

/** Every (action, resource) pair a set of statements allows, for exact comparisons. */
export function pairs(statements: Statement[]): string[] {
  return statements
    .flatMap((statement) =>
      asList(statement.Action).flatMap((action) =>
        asList(statement.Resource).map((resource) => `${action} ${resource}`),
      ),
    )
    .sort();
}

export function bucketChecks(program: () => MockedProgram, stack: StackExpectations) {
  const uploads = name('uploads', stack.region);
  const media = name('media', stack.region);
  const inputsOf = (type: string, resource: string) => program().named(type, resource).inputs;

  describe(`buckets (${stack.region}): private, versioned, encrypted, CORS for the site only`, () => {
    it("creates this region's uploads and media buckets, named after the domain and region", () => {
      const buckets = program().ofType('aws:s3/bucket:Bucket');
      // Each region also keeps a copy of the site's static files (infra/site.ts), in a bucket of its own.
      expect(buckets.map((bucket) => bucket.inputs.bucket).sort()).toEqual([
        media,
        name('site', stack.region),
        uploads,
      ]);
    });

    it('versions and encrypts both, blocks all public access and disables ACLs', () => {
      for (const kind of ['uploads', 'media']) {
        const bucket = `${kind}-bucket-id`;
        expect(inputsOf('aws:s3/bucketVersioning:BucketVersioning', `${kind}-versioning`)).toMatchObject({
          bucket,
          versioningConfiguration: { status: 'Enabled' },
        });
        const encryption = inputsOf(
          'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
          `${kind}-encryption`,
        ) as { bucket: string; rules: { applyServerSideEncryptionByDefault: { sseAlgorithm: string } }[] };
        expect(encryption.bucket).toBe(bucket);
        expect(['AES256', 'aws:kms']).toContain(encryption.rules[0]?.applyServerSideEncryptionByDefault.sseAlgorithm);
        expect(inputsOf('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', `${kind}-public-access`)).toEqual({
          bucket,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        expect(inputsOf('aws:s3/bucketOwnershipControls:BucketOwnershipControls', `${kind}-ownership`)).toEqual({
          bucket,
          rule: { objectOwnership: 'BucketOwnerEnforced' },
        });
      }
    });

    it('allows CORS from https://kinema.app only, exposing ETag; only uploads accept PUT', () => {
      for (const kind of ['uploads', 'media']) {
        const { corsRules } = inputsOf('aws:s3/bucketCorsConfiguration:BucketCorsConfiguration', `${kind}-cors`) as {
          corsRules: { allowedOrigins: string[]; allowedMethods: string[]; exposeHeaders: string[] }[];
        };
        expect(corsRules).toHaveLength(1);
        expect(corsRules[0]?.allowedOrigins).toEqual(['https://kinema.app']);
        expect(corsRules[0]?.exposeHeaders).toContain('ETag');
        const methods = corsRules[0]?.allowedMethods.sort();
        expect(methods).toEqual(kind === 'uploads' ? ['GET', 'HEAD', 'PUT'] : ['GET', 'HEAD']);
      }
    });

    it('aborts incomplete multipart uploads after one day on the uploads bucket', () => {
      const { rules } = inputsOf(
        'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
        'uploads-lifecycle',
      ) as {
        rules: { status: string; filter: object; abortIncompleteMultipartUpload?: { daysAfterInitiation: number } }[];
      };
      const abort = rules.find((rule) => rule.abortIncompleteMultipartUpload);
      expect(abort).toMatchObject({
        status: 'Enabled',
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      });
    });

    it('no bucket policy allows anyone but a named service; every one refuses plain HTTP', () => {
      const policies = program().ofType('aws:s3/bucketPolicy:BucketPolicy');
      expect(policies.map((policy) => policy.inputs.bucket).sort()).toEqual([
        'media-bucket-id',
        'site-assets-bucket-id',
        'uploads-bucket-id',
      ]);
      for (const policy of policies) {
        const statements = statementsOf(policy.inputs.policy) as (Statement & { Condition?: unknown })[];
        for (const statement of statements.filter((found) => found.Effect === 'Allow')) {
          expect(statement.Principal, policy.name).not.toBe('*');
          expect(statement.Principal, policy.name).not.toEqual({ AWS: '*' });
          expect(JSON.stringify(statement.Principal)).toMatch(/"Service":"[a-z]+\.amazonaws\.com"/);
        }
        expect(statements).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    });
  });

  describe(`buckets (${stack.region}): what each service may do`, () => {
    it('lets the catalog run multipart uploads on uploads sources/* only, and list the bucket', () => {
      expect(pairs(s3Statements(program(), 'catalog-fn-policy'))).toEqual(
        [
          ...[
            's3:PutObject',
            's3:GetObject',
            's3:DeleteObject',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ].map((action) => `${action} ${S3(uploads)}/sources/*`),
          `s3:ListBucket ${S3(uploads)}`,
        ].sort(),
      );
      const { variables } = inputsOf('aws:lambda/function:Function', 'catalog-fn').environment as {
        variables: Record<string, string>;
      };
      expect(variables).toMatchObject({ UPLOADS_BUCKET: uploads, MAX_UPLOAD_BYTES: String(50 * 1024 ** 3) });
    });

    it('lets media read uploads sources/* and read/write media/*', () => {
      expect(pairs(s3Statements(program(), 'media-fn-policy'))).toEqual(
        [
          `s3:GetObject ${S3(uploads)}/sources/*`,
          ...['s3:GetObject', 's3:PutObject', 's3:DeleteObject'].map((action) => `${action} ${S3(media)}/media/*`),
          `s3:ListBucket ${S3(media)}`,
        ].sort(),
      );
      const { variables } = inputsOf('aws:lambda/function:Function', 'media-fn').environment as {
        variables: Record<string, string>;
      };
      expect(variables).toMatchObject({ UPLOADS_BUCKET: uploads, MEDIA_BUCKET: media });
    });

    it('gives no other service any S3 access', () => {
      for (const service of ['entitlement', 'engagement', 'notification']) {
        expect(s3Statements(program(), `${service}-fn-policy`), service).toEqual([]);
      }
    });
  });

  // Both ways: whichever region is active, what it writes reaches the other. Delete markers are
  // replicated on purpose (a deleted title is gone in both regions), and versioning keeps every
  // overwritten or deleted version 30 days in both, so a mistaken delete is recoverable.
  describe(`buckets (${stack.region}): cross-region replication, both ways (R8)`, () => {
    it("replicates each bucket to the peer region's bucket of the same kind, with RTC (15 min) and delete markers", () => {
      for (const kind of ['uploads', 'media']) {
        const config = inputsOf('aws:s3/bucketReplicationConfig:BucketReplicationConfig', `${kind}-replication`) as {
          bucket: string;
          role: string;
          rules: Record<string, unknown>[];
        };
        expect(config.bucket).toBe(`${kind}-bucket-id`);
        expect(config.role).toBe(`arn:aws:iam::123456789012:role/kinema-${stack.region}-s3-replication`);
        expect(config.rules).toEqual([
          expect.objectContaining({
            status: 'Enabled',
            filter: {},
            deleteMarkerReplication: { status: 'Enabled' },
            destination: expect.objectContaining({
              bucket: S3(name(kind, stack.peerRegion)),
              replicationTime: { status: 'Enabled', time: { minutes: 15 } },
              metrics: { status: 'Enabled', eventThreshold: { minutes: 15 } },
            }),
          }),
        ]);
      }
    });

    it("gives the replication role exactly what S3 needs, on these buckets and the peer's", () => {
      const sources = [uploads, media].map(S3);
      const destinations = ['uploads', 'media'].map((kind) => S3(name(kind, stack.peerRegion)));
      expect(pairs(s3Statements(program(), 'replication-policy'))).toEqual(
        [
          ...['s3:GetReplicationConfiguration', 's3:ListBucket'].flatMap((action) =>
            sources.map((arn) => `${action} ${arn}`),
          ),
          ...['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'].flatMap(
            (action) => sources.map((arn) => `${action} ${arn}/*`),
          ),
          ...['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'].flatMap((action) =>
            destinations.map((arn) => `${action} ${arn}/*`),
          ),
        ].sort(),
      );
    });

    it('names the destinations exactly as the peer stack names its own buckets', async () => {
      const { bucketName } = await import('./buckets.js');
      const { parseStackConfig } = await import('./config.js');
      const { readStackFile } = await import('./test-support.js');
      const peerFile = stack.role === 'primary' ? 'Pulumi.prod-singapore.yaml' : 'Pulumi.prod-tokyo.yaml';
      const peer = parseStackConfig(readStackFile(new URL(`../${peerFile}`, import.meta.url).pathname));
      expect(peer.region).toBe(stack.peerRegion);
      for (const kind of ['uploads', 'media'] as const) {
        expect(bucketName(peer, kind, peer.region)).toBe(name(kind, stack.peerRegion));
      }
    });
  });
}
