import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.js';
import { policyDocument, serviceAssumeRole } from './iam.js';
import type { ServiceExtras } from './services.js';

/** The two buckets of a region: admins' MP4 sources, and the HLS output the CDN serves. */
export const BUCKET_KINDS = ['uploads', 'media'] as const;
export type BucketKind = (typeof BUCKET_KINDS)[number];

/** The key prefixes the services use (catalog `sourceKeyOf`, media `mediaKeys`). */
export const OBJECT_PREFIX: Record<BucketKind, string> = { uploads: 'sources/', media: 'media/' };

/**
 * Bucket names are global, so each carries the site's domain and its region; both stacks derive
 * the peer's names the same way, which is why replication needs no cross-stack reference.
 */
export const bucketName = (config: Pick<StackConfig, 'domain'>, kind: BucketKind, region: string) =>
  `${config.domain.replace(/\./g, '-')}-${kind}-${region}`;

export const bucketArn = (name: string) => `arn:aws:s3:::${name}`;

export interface StackBucket {
  kind: BucketKind;
  bucket: aws.s3.Bucket;
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
  /** The regional endpoint CloudFront uses as the origin (avoids redirects from the global one). */
  regionalDomainName: pulumi.Output<string>;
  /** Versioning must be on before replication can be configured. */
  versioning: aws.s3.BucketVersioning;
}

/** The browser's only direct access: PUT of upload parts (reading each part's ETag), GET/HEAD. */
const CORS_METHODS: Record<BucketKind, string[]> = {
  uploads: ['PUT', 'GET', 'HEAD'],
  // Media reaches browsers through CloudFront (its response headers policy does CORS); this rule
  // only keeps direct reads by the site possible, never writes.
  media: ['GET', 'HEAD'],
};

/** Deny any request not made over TLS; part of every bucket policy. */
export function denyInsecureTransport(arn: pulumi.Input<string>) {
  return pulumi.output(arn).apply((resolved) => ({
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [resolved, `${resolved}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  }));
}

/**
 * One private bucket: versioned (replication needs it, and it keeps what an operator deletes by
 * mistake), encrypted, no public access, ACLs off, CORS for the site only, lifecycle.
 */
export function privateBucket(kind: BucketKind, config: StackConfig): StackBucket {
  const name = bucketName(config, kind, config.region);
  const bucket = new aws.s3.Bucket(`${kind}-bucket`, {
    bucket: name,
    tags: { 'kinema:role': config.role, purpose: kind },
  });
  const versioning = new aws.s3.BucketVersioning(`${kind}-versioning`, {
    bucket: bucket.id,
    versioningConfiguration: { status: 'Enabled' },
  });
  new aws.s3.BucketServerSideEncryptionConfiguration(`${kind}-encryption`, {
    bucket: bucket.id,
    // SSE-S3: replication then needs no KMS grants in either region.
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
  });
  new aws.s3.BucketPublicAccessBlock(`${kind}-public-access`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketOwnershipControls(`${kind}-ownership`, {
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  new aws.s3.BucketCorsConfiguration(`${kind}-cors`, {
    bucket: bucket.id,
    corsRules: [
      {
        allowedOrigins: [config.siteOrigin],
        allowedMethods: CORS_METHODS[kind],
        allowedHeaders: ['*'],
        // The upload widget reads each part's ETag to complete the multipart upload.
        exposeHeaders: ['ETag'],
        maxAgeSeconds: 3600,
      },
    ],
  });
  new aws.s3.BucketLifecycleConfiguration(
    `${kind}-lifecycle`,
    {
      bucket: bucket.id,
      rules: [
        // Abandoned multipart uploads are billed until aborted; a day outlives any real upload session.
        ...(kind === 'uploads'
          ? [
              {
                id: 'abort-incomplete-uploads',
                status: 'Enabled',
                filter: {},
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
              },
            ]
          : []),
        // Overwritten or deleted objects stay recoverable for a month, then stop costing.
        {
          id: 'expire-old-versions',
          status: 'Enabled',
          filter: {},
          noncurrentVersionExpiration: { noncurrentDays: 30 },
        },
      ],
    },
    { dependsOn: [versioning] },
  );
  if (kind === 'uploads') {
    // The media bucket's policy is written with the distribution's grant (infra/site.ts): one policy per bucket.
    new aws.s3.BucketPolicy(`${kind}-policy`, {
      bucket: bucket.id,
      policy: denyInsecureTransport(bucket.arn).apply((statement) =>
        JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
      ),
    });
  }
  return {
    kind,
    bucket,
    name: bucket.bucket,
    arn: bucket.arn,
    regionalDomainName: bucket.bucketRegionalDomainName,
    versioning,
  };
}

/** This region's buckets; every stack has its own (the secondary's are the replication targets). */
export function stackBuckets(config: StackConfig): Record<BucketKind, StackBucket> {
  return { uploads: privateBucket('uploads', config), media: privateBucket('media', config) };
}

/** Replication Time Control: S3's 15-minute SLA, with its metrics (RTC requires them). */
export const REPLICATION_MINUTES = 15;

/**
 * Cross-region replication of both buckets to the peer region's (R8, RPO). Created by the
 * primary: one role, least privilege, reading this stack's buckets and writing the peer's by name.
 */
export function bucketReplication(config: StackConfig, buckets: Record<BucketKind, StackBucket>) {
  const destinations = Object.fromEntries(
    BUCKET_KINDS.map((kind) => [kind, bucketArn(bucketName(config, kind, config.peerRegion))]),
  ) as Record<BucketKind, string>;
  const role = new aws.iam.Role('replication-role', {
    name: `kinema-${config.region}-s3-replication`,
    assumeRolePolicy: serviceAssumeRole('s3.amazonaws.com'),
  });
  const sources = BUCKET_KINDS.map((kind) => buckets[kind].arn);
  const policy = new aws.iam.RolePolicy('replication-policy', {
    role: role.id,
    policy: policyDocument([
      { Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: sources },
      {
        Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
        Resource: sources.map((arn) => pulumi.interpolate`${arn}/*`),
      },
      {
        Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        Resource: BUCKET_KINDS.map((kind) => `${destinations[kind]}/*`),
      },
    ]),
  });
  const configurations = BUCKET_KINDS.map(
    (kind) =>
      new aws.s3.BucketReplicationConfig(
        `${kind}-replication`,
        {
          bucket: buckets[kind].bucket.id,
          role: role.arn,
          rules: [
            {
              id: 'to-peer-region',
              status: 'Enabled',
              filter: {},
              deleteMarkerReplication: { status: 'Enabled' },
              destination: {
                bucket: destinations[kind],
                storageClass: 'STANDARD',
                replicationTime: { status: 'Enabled', time: { minutes: REPLICATION_MINUTES } },
                metrics: { status: 'Enabled', eventThreshold: { minutes: REPLICATION_MINUTES } },
              },
            },
          ],
        },
        { dependsOn: [buckets[kind].versioning, policy] },
      ),
  );
  return { role, policy, configurations };
}

/**
 * The catalog's access: the multipart upload flow on `sources/*` only (S3 authorises
 * Create/UploadPart/Complete as PutObject, ListParts as ListMultipartUploadParts), and ListBucket
 * for resume and the existence checks.
 */
export function catalogUploadExtras(buckets: Record<BucketKind, StackBucket>, config: StackConfig): ServiceExtras {
  const { uploads } = buckets;
  return {
    environment: { UPLOADS_BUCKET: uploads.name, MAX_UPLOAD_BYTES: String(config.maxUploadBytes) },
    grants: [
      {
        Action: [
          's3:PutObject',
          's3:GetObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        Resource: [pulumi.interpolate`${uploads.arn}/${OBJECT_PREFIX.uploads}*`],
      },
      { Action: ['s3:ListBucket'], Resource: [uploads.arn] },
    ],
  };
}
