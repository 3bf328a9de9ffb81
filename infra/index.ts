import * as pulumi from '@pulumi/pulumi';
import { alarmSubscription, alarmTopic, api5xxRateAlarm } from './alarms.js';
import { httpApi } from './api.js';
import { engagementExtras } from './engagement.js';
import { auth0Tenant, planSyncEnvironment } from './auth0.js';
import { bucketReplication, catalogUploadExtras, stackBuckets } from './buckets.js';
import { archive, bus } from './bus.js';
import { loadStackConfig } from './config.js';
import { regionHealth } from './health.js';
import { entitlementExtras, entitlementSecrets, mergeExtras } from './entitlement.js';
import { mediaPipeline, mediaRecovery, mediaServiceExtras } from './media-pipeline.js';
import { notificationExtras, notificationInfra } from './notification.js';
import { outboxRelay } from './outbox.js';
import { primaryExports } from './peer.js';
import { likesRealtime } from './realtime.js';
import { loadAlgoliaConfig, search } from './search.js';
import { deployServices, serviceEnvironment } from './services.js';
import { siteDistribution, standbySite } from './site.js';
import { SERVICE_NAMES, serviceTables } from './tables.js';

// The composition root of one region's stack: config is read here, once.
const config = loadStackConfig();

const tables = serviceTables(config);
for (const service of SERVICE_NAMES) outboxRelay(service, tables[service], config);

const buckets = stackBuckets(config);
const replication = config.bucketReplication ? bucketReplication(config, buckets) : undefined;
const pipeline = mediaPipeline({ config, table: tables.media, buckets });
const secrets = entitlementSecrets(config);
const searchStack = search({ config, table: tables.catalog, algolia: loadAlgoliaConfig() });

const realtime = likesRealtime(config);

// Global pieces: the primary owns them (tenant, site distribution, playback key); the standby reads them.
const tenant = config.role === 'primary' ? auth0Tenant(config) : undefined;
const site = tenant
  ? siteDistribution({
      config,
      media: buckets.media,
      webClientId: tenant.web.clientId,
      ...(config.edgeDir ? { edgeDir: config.edgeDir } : {}),
    })
  : undefined;
const peer = site ? undefined : primaryExports(config);
if (peer) {
  standbySite({
    config,
    media: buckets.media,
    distributionArn: peer.siteDistributionArn,
    ...(config.edgeDir ? { edgeDir: config.edgeDir } : {}),
  });
}
const global = {
  siteDistributionArn: site?.distribution.arn ?? peer!.siteDistributionArn,
  playbackKeyPairId: site?.publicKey.id ?? peer!.playbackKeyPairId,
  planSyncClientId: tenant?.planSync.clientId ?? peer!.planSyncClientId,
};

const mediaExtras = mediaServiceExtras(buckets, pipeline);
const services = deployServices(config, tables, {
  catalog: mergeExtras(catalogUploadExtras(buckets, config), searchStack.catalogExtras),
  media: mediaExtras,
  engagement: mergeExtras(realtime.publisher, engagementExtras(httpApi.apiEndpoint)),
  notification: notificationExtras(config, notificationInfra(config)),
  entitlement: mergeExtras(entitlementExtras(config, secrets, { keyPairId: global.playbackKeyPairId }), {
    environment: planSyncEnvironment(config, global.planSyncClientId),
  }),
});

mediaRecovery({
  config,
  pipeline,
  service: {
    role: services.media.role,
    environment: { ...serviceEnvironment('media', tables.media, config), ...mediaExtras.environment },
  },
});

// Route 53 sends the API origin to this region while its /healthz passes (infra/health.ts).
const health = regionHealth({
  config,
  tables: SERVICE_NAMES.map((service) => tables[service]),
  buckets: [buckets.uploads, buckets.media],
});

// Every alarm of the region mails the operator; the API's 5xx rate is watched here.
alarmSubscription(config);
api5xxRateAlarm('api-5xx-rate', httpApi.id);

export const region = config.region;
export const role = config.role;
export const apiUrl = httpApi.apiEndpoint;
export const busName = bus.name;
export const busArchiveName = archive.name;
export const tableNames = Object.fromEntries(SERVICE_NAMES.map((service) => [service, tables[service].name]));
export const bucketNames = { uploads: buckets.uploads.name, media: buckets.media.name };
export const siteUrl = config.siteOrigin;
export const mediaPipelineArn = pipeline.stateMachine.arn;
export const searchSyncArn = searchStack.stateMachine.arn;
export const replicationRoleArn = replication?.role.arn;
/** Where browsers subscribe to live like counts (AppSync Events), and the key they use. */
export const realtimeEndpoints = { http: realtime.httpDomain, realtime: realtime.realtimeDomain };
export const realtimeViewerKey = realtime.viewerKey.key;
/** The web's OIDC client id (primary only: the tenant is managed there). */
export const auth0ClientId = tenant?.web.clientId;
/** What the standby reads through its stack reference (infra/peer.ts PRIMARY_EXPORTS). */
export const siteDistributionArn: pulumi.Output<string> = pulumi.output(global.siteDistributionArn);
export const playbackKeyPairId: pulumi.Output<string> = pulumi.output(global.playbackKeyPairId);
export const planSyncClientId: pulumi.Output<string> = pulumi.output(global.planSyncClientId);
export const alarmTopicArn = alarmTopic.arn;
export const healthCheckId = health.check.id;
export const siteDomainName = site?.distribution.domainName;
