import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bucketName, denyInsecureTransport, OBJECT_PREFIX, type StackBucket } from './buckets.js';
import type { StackConfig } from './config.js';
import { apiOriginHost } from './health.js';
import { policyDocument } from './iam.js';

/** Where `npm run build:edge` (scripts/build-edge.ts) leaves the function and the static files. */
export const EDGE_DIR = fileURLToPath(new URL('../dist/edge', import.meta.url));

/** The paths of the one site origin, in CloudFront's precedence order (default last). */
export const SITE_PATHS = {
  /** The poster is shown on catalog cards to everyone, so it needs no cookie. */
  poster: '/media/videos/*/poster.jpg',
  /** HLS (and anything else under /media) only with signed cookies from the key group. */
  media: '/media/*',
  /** The services' HTTP API, never cached. */
  api: '/api/*',
  /** SvelteKit's hashed client files, cached for a year. */
  assets: '/_app/*',
} as const;

/** AWS's managed policies (ids are the same in every account). */
export const MANAGED = {
  cachingOptimized: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  cachingDisabled: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
  /** Every viewer header, cookie and query string, but Host: the origin keeps its own name. */
  allViewerExceptHostHeader: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
} as const;

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];
const READ_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/** The secret holding the web's own secrets (JSON: KINEMA_OIDC_CLIENT_SECRET, KINEMA_SESSION_SECRET). */
export const WEB_SECRET_NAME = 'kinema/web';

/**
 * The non-secret configuration the SSR function reads at cold start, beside its code as
 * `edge-config.json` (Lambda@Edge has no environment variables): the same names the web reads
 * standalone, plus where its secrets are. The test holds that nothing secret is ever in it.
 */
export function edgeConfig(config: StackConfig, webClientId: pulumi.Input<string>, webSecretArn: pulumi.Input<string>) {
  return pulumi.all([webClientId, webSecretArn]).apply(([clientId, secretId]) => ({
    KINEMA_PUBLIC_URL: config.siteOrigin,
    // Server-side calls go through the distribution, so they follow its failover like a browser's.
    KINEMA_API_ORIGIN: config.siteOrigin,
    KINEMA_OIDC_ISSUER: config.authIssuer,
    KINEMA_OIDC_CLIENT_ID: clientId,
    KINEMA_OIDC_CLIENT_AUTH: 'client_secret_post',
    KINEMA_OIDC_AUDIENCE: config.authAudience,
    secrets: { secretId, region: 'us-east-1' },
  }));
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Hashed files never change under one name; anything else is checked again on every use. */
export const cacheControlOf = (key: string) =>
  key.startsWith('_app/immutable/') ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate';

/** The files `npm run build:edge` left for S3, or a clear error when it has not run. */
function edgeFiles(edgeDir: string): string[] {
  try {
    return filesUnder(join(edgeDir, 'client'));
  } catch {
    throw new Error(`no ${join(edgeDir, 'client')}: run npm run build:edge before pulumi up (README: deploy)`);
  }
}

/** A site-assets bucket's name; both stacks derive the peer's the same way. */
export const siteAssetsBucketName = (config: Pick<StackConfig, 'domain'>, region: string) =>
  `${config.domain.replace(/\./g, '-')}-site-${region}`;

/**
 * The site's static files (`/_app/*` and `static/`) in a private bucket of this region, uploaded
 * from dist/edge/client. Each stack has one, so `/_app/*` fails over to the standby's copy.
 */
function siteAssetsBucket(config: StackConfig, edgeDir: string, assetFiles = edgeFiles(edgeDir)) {
  const bucket = new aws.s3.Bucket('site-assets-bucket', {
    bucket: siteAssetsBucketName(config, config.region),
    tags: { 'kinema:role': config.role, purpose: 'site-assets' },
  });
  new aws.s3.BucketPublicAccessBlock('site-assets-public-access', {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketOwnershipControls('site-assets-ownership', {
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  new aws.s3.BucketServerSideEncryptionConfiguration('site-assets-encryption', {
    bucket: bucket.id,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
  });
  const clientDir = join(edgeDir, 'client');
  const objects = assetFiles.map((file) => {
    const key = relative(clientDir, file).split('\\').join('/');
    return new aws.s3.BucketObjectv2(`site-asset-${key}`, {
      bucket: bucket.id,
      key,
      source: new pulumi.asset.FileAsset(file),
      contentType: CONTENT_TYPES[extname(key)] ?? 'application/octet-stream',
      cacheControl: cacheControlOf(key),
    });
  });
  return { bucket, objects };
}

/**
 * The standby's share of the site: its own copy of the static files, readable by the primary's
 * distribution (whose ARN it reads from the primary stack), and its media bucket's policy.
 */
export function standbySite(args: {
  config: StackConfig;
  media: StackBucket;
  distributionArn: pulumi.Input<string>;
  edgeDir?: string;
}) {
  const { bucket, objects } = siteAssetsBucket(args.config, args.edgeDir ?? EDGE_DIR);
  const assetsPolicy = new aws.s3.BucketPolicy('site-assets-policy', {
    bucket: bucket.id,
    policy: readByDistribution(bucket.arn, '', args.distributionArn),
  });
  const mediaPolicy = mediaBucketPolicy(args.media, args.distributionArn);
  return { bucket, objects, assetsPolicy, mediaPolicy };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * The site on CloudFront, owned by the primary stack: one distribution for the domain (ACM
 * certificate in us-east-1, alias records in the hosted zone) whose default behaviour renders
 * SvelteKit on Lambda@Edge (origin-request), `/_app/*` from the assets bucket, `/api/*` to the
 * HTTP API uncached with every viewer header and cookie, and `/media/*` from the media bucket
 * behind the playback key group. One origin, so the playback cookies are first-party.
 */
export function siteDistribution(args: {
  config: StackConfig;
  media: StackBucket;
  webClientId: pulumi.Input<string>;
  /** dist/edge; tests pass a fixture. */
  edgeDir?: string;
}) {
  const { config, media } = args;
  const edgeDir = args.edgeDir ?? EDGE_DIR;
  if (!config.cloudFrontPublicKey) {
    throw new Error(
      'kinema:cloudFrontPublicKey is not set: pulumi config set kinema:cloudFrontPublicKey "$(base64 -w0 public.pem)" (README: deploy)',
    );
  }
  const assetFiles = edgeFiles(edgeDir);
  // CloudFront's certificates, Lambda@Edge functions and their secrets live in us-east-1.
  const usEast1 = new aws.Provider('us-east-1', { region: 'us-east-1' });
  const global = { provider: usEast1 };
  const zone = aws.route53.getZoneOutput({ name: config.hostedZone, privateZone: false });

  const certificate = new aws.acm.Certificate(
    'site-certificate',
    { domainName: config.domain, validationMethod: 'DNS', tags: { purpose: 'site' } },
    global,
  );
  const validation = certificate.domainValidationOptions[0]!;
  const validationRecord = new aws.route53.Record('site-certificate-validation', {
    zoneId: zone.zoneId,
    name: validation.resourceRecordName,
    type: validation.resourceRecordType,
    records: [validation.resourceRecordValue],
    ttl: 300,
    allowOverwrite: true,
  });
  const validated = new aws.acm.CertificateValidation(
    'site-certificate-validated',
    { certificateArn: certificate.arn, validationRecordFqdns: [validationRecord.fqdn] },
    global,
  );

  // The static files, in this region's bucket and (the standby stack's) the peer's.
  const { bucket: assets, objects } = siteAssetsBucket(config, edgeDir, assetFiles);

  // The SSR function: no environment (Lambda@Edge has none); its config file sits beside the code.
  const webSecret = new aws.secretsmanager.Secret(
    'web-secret',
    {
      name: WEB_SECRET_NAME,
      description:
        'JSON {KINEMA_OIDC_CLIENT_SECRET, KINEMA_SESSION_SECRET} of the SSR function; filled by the operator (README)',
      recoveryWindowInDays: 30,
    },
    global,
  );
  const edgeFunctionName = 'kinema-site-edge';
  const edgeRole = new aws.iam.Role('site-edge-role', {
    name: `kinema-${config.region}-site-edge`,
    // Lambda@Edge replicas are run by edgelambda.amazonaws.com, the origin copy by lambda.amazonaws.com.
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] },
          Action: 'sts:AssumeRole',
        },
      ],
    }),
  });
  const account = aws.getCallerIdentityOutput().accountId;
  const edgePolicy = new aws.iam.RolePolicy('site-edge-policy', {
    role: edgeRole.id,
    policy: policyDocument([
      { Action: ['secretsmanager:GetSecretValue'], Resource: [webSecret.arn] },
      {
        // Each edge region writes to its own `/aws/lambda/us-east-1.<name>` group, created on first use.
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [
          pulumi.interpolate`arn:aws:logs:*:${account}:log-group:/aws/lambda/us-east-1.${edgeFunctionName}`,
          pulumi.interpolate`arn:aws:logs:*:${account}:log-group:/aws/lambda/us-east-1.${edgeFunctionName}:*`,
        ],
      },
    ]),
  });
  const edgeFunction = new aws.lambda.Function(
    'site-edge-fn',
    {
      name: edgeFunctionName,
      runtime: aws.lambda.Runtime.NodeJS22dX,
      // Lambda@Edge runs x86_64 only.
      architectures: ['x86_64'],
      handler: 'index.handler',
      code: edgeConfig(config, args.webClientId, webSecret.arn).apply(
        (value) =>
          new pulumi.asset.AssetArchive({
            'index.mjs': new pulumi.asset.FileAsset(join(edgeDir, 'index.mjs')),
            'edge-config.json': new pulumi.asset.StringAsset(JSON.stringify(value)),
          }),
      ),
      role: edgeRole.arn,
      memorySize: 1024,
      // Origin-request functions may run 30 s; a page waits on the API, which gives up at 30 s.
      timeout: 30,
      // CloudFront associates a numbered version, never $LATEST.
      publish: true,
      tags: { service: 'web' },
    },
    { ...global, dependsOn: [edgePolicy] },
  );

  // Playback: the key group that verifies the cookies the entitlement service signs.
  const publicKey = new aws.cloudfront.PublicKey('playback-public-key', {
    name: 'kinema-playback',
    comment: 'verifies Kinema playback cookies (private key: the secret kinema/cloudfront-private-key)',
    encodedKey: config.cloudFrontPublicKey,
  });
  const keyGroup = new aws.cloudfront.KeyGroup('playback-key-group', {
    name: 'kinema-playback',
    items: [publicKey.id],
  });
  const s3Access = new aws.cloudfront.OriginAccessControl('site-oac', {
    name: 'kinema-site-s3',
    originAccessControlOriginType: 's3',
    signingBehavior: 'always',
    signingProtocol: 'sigv4',
  });
  const headers = new aws.cloudfront.ResponseHeadersPolicy('site-headers', {
    name: 'kinema-site',
    securityHeadersConfig: {
      strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, override: true },
      contentTypeOptions: { override: true },
    },
  });

  const ORIGINS = {
    site: 'site-assets',
    api: 'api',
    media: 'media',
    mediaStandby: 'media-standby',
    mediaGroup: 'media-failover',
    siteStandby: 'site-assets-standby',
    siteGroup: 'site-assets-failover',
  } as const;
  const standbyAssets = `${siteAssetsBucketName(config, config.peerRegion)}.s3.${config.peerRegion}.amazonaws.com`;
  // The standby region's replica of the media bucket (named by convention, replicated both ways).
  const standbyMedia = `${bucketName(config, 'media', config.peerRegion)}.s3.${config.peerRegion}.amazonaws.com`;
  const s3Origin = (originId: string, domainName: pulumi.Input<string>) => ({
    originId,
    domainName,
    originAccessControlId: s3Access.id,
    // With OAC the S3 origin config carries no identity; CloudFront still needs the block.
    s3OriginConfig: { originAccessIdentity: '' },
  });
  const base = { viewerProtocolPolicy: 'redirect-to-https', compress: true, responseHeadersPolicyId: headers.id };
  const mediaBehaviour = {
    ...base,
    // HLS reads fail over to the standby's replica when Tokyo's bucket answers 5xx (GET/HEAD only).
    targetOriginId: ORIGINS.mediaGroup,
    allowedMethods: READ_METHODS,
    cachedMethods: ['GET', 'HEAD'],
    cachePolicyId: MANAGED.cachingOptimized,
  };
  const distribution = new aws.cloudfront.Distribution(
    'site-cdn',
    {
      enabled: true,
      comment: `Kinema site ${config.domain}`,
      aliases: [config.domain],
      httpVersion: 'http2and3',
      isIpv6Enabled: true,
      priceClass: 'PriceClass_200',
      origins: [
        s3Origin(ORIGINS.site, assets.bucketRegionalDomainName),
        s3Origin(ORIGINS.media, media.regionalDomainName),
        s3Origin(ORIGINS.mediaStandby, standbyMedia),
        s3Origin(ORIGINS.siteStandby, standbyAssets),
        {
          // A Route 53 failover name: Tokyo's API while its /healthz passes, else Singapore's.
          originId: ORIGINS.api,
          domainName: apiOriginHost(config),
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: 'https-only',
            originSslProtocols: ['TLSv1.2'],
            originReadTimeout: 30,
          },
        },
      ],
      originGroups: [
        {
          originId: ORIGINS.mediaGroup,
          failoverCriteria: { statusCodes: [500, 502, 503, 504] },
          members: [{ originId: ORIGINS.media }, { originId: ORIGINS.mediaStandby }],
        },
        {
          originId: ORIGINS.siteGroup,
          failoverCriteria: { statusCodes: [500, 502, 503, 504] },
          members: [{ originId: ORIGINS.site }, { originId: ORIGINS.siteStandby }],
        },
      ],
      orderedCacheBehaviors: [
        { ...mediaBehaviour, pathPattern: SITE_PATHS.poster },
        { ...mediaBehaviour, pathPattern: SITE_PATHS.media, trustedKeyGroups: [keyGroup.id] },
        {
          ...base,
          pathPattern: SITE_PATHS.api,
          targetOriginId: ORIGINS.api,
          allowedMethods: ALL_METHODS,
          cachedMethods: ['GET', 'HEAD'],
          cachePolicyId: MANAGED.cachingDisabled,
          originRequestPolicyId: MANAGED.allViewerExceptHostHeader,
        },
        {
          ...base,
          pathPattern: SITE_PATHS.assets,
          // The hashed files fail over to the standby's copy (GET/HEAD only, as origin groups allow).
          targetOriginId: ORIGINS.siteGroup,
          allowedMethods: ['GET', 'HEAD'],
          cachedMethods: ['GET', 'HEAD'],
          cachePolicyId: MANAGED.cachingOptimized,
        },
      ],
      // Pages: SvelteKit on Lambda@Edge; files of static/ pass through to the assets bucket.
      defaultCacheBehavior: {
        ...base,
        targetOriginId: ORIGINS.site,
        allowedMethods: ALL_METHODS,
        cachedMethods: ['GET', 'HEAD'],
        cachePolicyId: MANAGED.cachingDisabled,
        originRequestPolicyId: MANAGED.allViewerExceptHostHeader,
        lambdaFunctionAssociations: [
          { eventType: 'origin-request', lambdaArn: edgeFunction.qualifiedArn, includeBody: true },
        ],
      },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: {
        acmCertificateArn: validated.certificateArn,
        sslSupportMethod: 'sni-only',
        minimumProtocolVersion: 'TLSv1.2_2021',
      },
    },
    { dependsOn: objects },
  );
  const aliases = (['A', 'AAAA'] as const).map(
    (type) =>
      new aws.route53.Record(`site-alias-${type}`, {
        zoneId: zone.zoneId,
        name: config.domain,
        type,
        aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }],
      }),
  );
  const assetsPolicy = new aws.s3.BucketPolicy('site-assets-policy', {
    bucket: assets.id,
    policy: readByDistribution(assets.arn, '', distribution.arn),
  });
  const mediaPolicy = mediaBucketPolicy(media, distribution.arn);

  // CloudFront's metrics live in us-east-1, and an alarm may only notify a topic of its region.
  const siteAlarms = new aws.sns.Topic('site-alarms', { name: 'kinema-site-alarms' }, global);
  new aws.sns.TopicSubscription(
    'site-alarms-email',
    { topic: siteAlarms.arn, protocol: 'email', endpoint: config.alarmEmail },
    global,
  );
  const errorRate = new aws.cloudwatch.MetricAlarm(
    'site-5xx-rate',
    {
      name: 'kinema-site-5xx-rate',
      alarmDescription: 'More than 5 % of the site’s answers are server errors (docs/disaster-recovery.md: detect)',
      namespace: 'AWS/CloudFront',
      metricName: '5xxErrorRate',
      dimensions: { DistributionId: distribution.id, Region: 'Global' },
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 5,
      treatMissingData: 'notBreaching',
      alarmActions: [siteAlarms.arn],
      okActions: [siteAlarms.arn],
    },
    global,
  );
  return {
    siteAlarms,
    errorRate,
    distribution,
    certificate,
    validated,
    zone,
    assets,
    objects,
    assetsPolicy,
    mediaPolicy,
    edgeFunction,
    edgeRole,
    edgePolicy,
    webSecret,
    publicKey,
    keyGroup,
    aliases,
  };
}

/** A bucket policy letting one distribution read keys under a prefix, and denying plain HTTP. */
export function readByDistribution(
  bucketArn: pulumi.Input<string>,
  prefix: string,
  distributionArn: pulumi.Input<string> | undefined,
) {
  return pulumi.all([bucketArn, distributionArn, denyInsecureTransport(bucketArn)]).apply(([arn, source, insecure]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        ...(source
          ? [
              {
                Sid: 'CloudFrontReads',
                Effect: 'Allow',
                Principal: { Service: 'cloudfront.amazonaws.com' },
                Action: 's3:GetObject',
                Resource: `${arn}/${prefix}*`,
                Condition: { StringEquals: { 'AWS:SourceArn': source } },
              },
            ]
          : []),
        insecure,
      ],
    }),
  );
}

/**
 * The media bucket's one policy: the site distribution reads `media/*` (the primary's directly;
 * the standby's through the distribution's failover origin, its ARN read from the primary stack).
 */
export function mediaBucketPolicy(media: StackBucket, distributionArn: pulumi.Input<string> | undefined) {
  return new aws.s3.BucketPolicy('media-policy', {
    bucket: media.bucket.id,
    policy: readByDistribution(media.arn, OBJECT_PREFIX.media, distributionArn),
  });
}

export type SiteDistribution = ReturnType<typeof siteDistribution>;
