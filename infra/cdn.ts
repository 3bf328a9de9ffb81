import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { denyInsecureTransport, OBJECT_PREFIX, type StackBucket } from './buckets.js';
import type { StackConfig } from './config.js';
import type { ServiceExtras } from './services.js';

/**
 * The secret holding the PEM private key that signs playback cookies. Pulumi creates the secret
 * but never its value, so the key never enters Pulumi state or a stack file. Set it once, in the
 * primary region, after the first `pulumi up` (the replica in the peer region follows):
 *
 *   openssl genrsa -out private.pem 2048
 *   openssl rsa -in private.pem -pubout -out public.pem
 *   aws secretsmanager put-secret-value --region ap-northeast-1 \
 *     --secret-id kinema/cloudfront-private-key --secret-string file://private.pem
 *   pulumi config set kinema:cloudFrontPublicKey "$(base64 -w0 public.pem)"   # on both stacks
 *
 * Rotation: add the new public key, deploy, put the new private key, then remove the old key.
 */
export const CLOUDFRONT_PRIVATE_KEY_SECRET = 'kinema/cloudfront-private-key';

/** The paths of the media CDN; object keys equal the path without its leading slash. */
export const MEDIA_PATHS = {
  /** Playlists, init and segments: only with signed cookies for that title. */
  hls: '/media/videos/*/hls/*',
  /** The poster is shown on catalog cards to everyone, so it needs no cookie. */
  poster: '/media/videos/*/poster.jpg',
} as const;

/** AWS's managed cache policy "CachingOptimized": no cookies or query strings in the cache key. */
export const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';

export interface CookieKeySecret {
  arn: pulumi.Output<string>;
  name: string;
}

/**
 * The private-key secret. The primary creates it with a replica in the peer region; the standby
 * finds that replica by name (two stacks owning one secret would fight over it).
 */
export function cookieKeySecret(config: StackConfig): CookieKeySecret {
  if (config.role === 'secondary') {
    const replica = aws.secretsmanager.getSecretOutput({ name: CLOUDFRONT_PRIVATE_KEY_SECRET });
    return { arn: replica.arn, name: CLOUDFRONT_PRIVATE_KEY_SECRET };
  }
  const secret = new aws.secretsmanager.Secret('cloudfront-private-key', {
    name: CLOUDFRONT_PRIVATE_KEY_SECRET,
    description: 'PEM private key signing CloudFront playback cookies; its value is set out of band (infra/cdn.ts)',
    replicas: [{ region: config.peerRegion }],
    recoveryWindowInDays: 30,
  });
  return { arn: secret.arn, name: CLOUDFRONT_PRIVATE_KEY_SECRET };
}

/** What the entitlement service needs to sign cookies: the key pair id and read on the secret only. */
export function cookieSignerExtras(
  secret: CookieKeySecret,
  cdn: { publicKey: aws.cloudfront.PublicKey; distribution: aws.cloudfront.Distribution },
): ServiceExtras {
  return {
    environment: {
      CLOUDFRONT_KEY_PAIR_ID: cdn.publicKey.id,
      CLOUDFRONT_PRIVATE_KEY_SECRET_ARN: secret.arn,
      MEDIA_ORIGIN: pulumi.interpolate`https://${cdn.distribution.domainName}`,
    },
    grants: [{ Action: ['secretsmanager:GetSecretValue'], Resource: [secret.arn] }],
  };
}

/**
 * CloudFront in front of the private media bucket: Origin Access Control (SigV4) is its only way
 * in; HLS and everything else need signed cookies from the key group, the poster is public; CORS
 * with credentials for the site's origin only; HTTPS only.
 */
export function mediaCdn(config: StackConfig, media: StackBucket) {
  if (!config.cloudFrontPublicKey) {
    throw new Error(
      'kinema:cloudFrontPublicKey is not set: pulumi config set kinema:cloudFrontPublicKey "$(base64 -w0 public.pem)" (see infra/cdn.ts)',
    );
  }
  const publicKey = new aws.cloudfront.PublicKey('media-public-key', {
    name: `kinema-${config.region}-playback`,
    comment: `verifies Kinema playback cookies (private key: ${CLOUDFRONT_PRIVATE_KEY_SECRET})`,
    encodedKey: config.cloudFrontPublicKey,
  });
  const keyGroup = new aws.cloudfront.KeyGroup('media-key-group', {
    name: `kinema-${config.region}-playback`,
    items: [publicKey.id],
  });
  const accessControl = new aws.cloudfront.OriginAccessControl('media-oac', {
    name: `kinema-${config.region}-media`,
    originAccessControlOriginType: 's3',
    signingBehavior: 'always',
    signingProtocol: 'sigv4',
  });
  const headers = new aws.cloudfront.ResponseHeadersPolicy('media-headers', {
    name: `kinema-${config.region}-media`,
    corsConfig: {
      // hls.js fetches with credentials so the signed cookies travel; that needs an exact origin.
      accessControlAllowCredentials: true,
      accessControlAllowOrigins: { items: [config.siteOrigin] },
      accessControlAllowMethods: { items: ['GET', 'HEAD', 'OPTIONS'] },
      accessControlAllowHeaders: { items: ['Range'] },
      accessControlExposeHeaders: { items: ['Content-Length', 'Content-Range', 'ETag'] },
      accessControlMaxAgeSec: 3600,
      originOverride: true,
    },
    securityHeadersConfig: {
      strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, override: true },
      contentTypeOptions: { override: true },
    },
  });
  const originId = 'media-bucket';
  const behaviour = {
    targetOriginId: originId,
    viewerProtocolPolicy: 'https-only',
    allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
    cachedMethods: ['GET', 'HEAD'],
    cachePolicyId: CACHING_OPTIMIZED,
    responseHeadersPolicyId: headers.id,
    compress: true,
  };
  const signed = { ...behaviour, trustedKeyGroups: [keyGroup.id] };
  const distribution = new aws.cloudfront.Distribution('media-cdn', {
    enabled: true,
    comment: `Kinema media (${config.region})`,
    httpVersion: 'http2and3',
    isIpv6Enabled: true,
    priceClass: 'PriceClass_200',
    origins: [
      {
        originId,
        domainName: media.regionalDomainName,
        originAccessControlId: accessControl.id,
        // With OAC the S3 origin config carries no identity; CloudFront still needs the block.
        s3OriginConfig: { originAccessIdentity: '' },
      },
    ],
    orderedCacheBehaviors: [
      { ...signed, pathPattern: MEDIA_PATHS.hls },
      { ...behaviour, pathPattern: MEDIA_PATHS.poster },
    ],
    // Anything else (thumbnails, future files) is private until a behaviour says otherwise.
    defaultCacheBehavior: signed,
    restrictions: { geoRestriction: { restrictionType: 'none' } },
    viewerCertificate: { cloudfrontDefaultCertificate: true, minimumProtocolVersion: 'TLSv1.2_2021' },
  });
  const statement = pulumi
    .all([media.arn, distribution.arn, denyInsecureTransport(media.arn)])
    .apply(([bucketArn, distributionArn, insecure]) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CloudFrontReadsMedia',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: `${bucketArn}/${OBJECT_PREFIX.media}*`,
          Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
        },
        insecure,
      ],
    }));
  const bucketPolicy = new aws.s3.BucketPolicy('media-policy', {
    bucket: media.bucket.id,
    policy: statement.apply((document) => JSON.stringify(document)),
  });
  return { publicKey, keyGroup, accessControl, headers, distribution, bucketPolicy };
}

export type MediaCdn = ReturnType<typeof mediaCdn>;
