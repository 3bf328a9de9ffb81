import { httpApi } from './api.js';
import { auth0Tenant, planSyncEnvironment } from './auth0.js';
import { bucketReplication, catalogUploadExtras, stackBuckets } from './buckets.js';
import { archive, bus } from './bus.js';
import { cookieKeySecret, cookieSignerExtras, mediaCdn } from './cdn.js';
import { loadStackConfig } from './config.js';
import { entitlementExtras, entitlementSecrets, mergeExtras } from './entitlement.js';
import { mediaPipeline, mediaServiceExtras } from './media-pipeline.js';
import { outboxRelay } from './outbox.js';
import { loadAlgoliaConfig, search } from './search.js';
import { deployServices } from './services.js';
import { SERVICE_NAMES, serviceTables } from './tables.js';

// The composition root of one region's stack: config is read here, once.
const config = loadStackConfig();

const tables = serviceTables(config);
for (const service of SERVICE_NAMES) outboxRelay(service, tables[service], config);

const buckets = stackBuckets(config);
const replication = config.bucketReplication ? bucketReplication(config, buckets) : undefined;
const cdn = mediaCdn(config, buckets.media);
const cookieKey = cookieKeySecret(config);
const pipeline = mediaPipeline({ config, table: tables.media, buckets });
const paymentSecrets = entitlementSecrets(config);
const searchStack = search({ config, table: tables.catalog, algolia: loadAlgoliaConfig() });

const tenant = config.role === 'primary' ? auth0Tenant(config) : undefined;

deployServices(config, tables, {
  catalog: mergeExtras(catalogUploadExtras(buckets, config), searchStack.catalogExtras),
  media: mediaServiceExtras(buckets, pipeline),
  entitlement: mergeExtras(
    cookieSignerExtras(cookieKey, cdn),
    entitlementExtras(config, paymentSecrets, cookieKey),
    // The standby region has no tenant of its own: its entitlement runs without the plan sync.
    ...(tenant ? [{ environment: planSyncEnvironment(config, tenant) }] : []),
  ),
});

export const region = config.region;
export const role = config.role;
export const apiUrl = httpApi.apiEndpoint;
export const busName = bus.name;
export const busArchiveName = archive.name;
export const tableNames = Object.fromEntries(SERVICE_NAMES.map((service) => [service, tables[service].name]));
export const bucketNames = { uploads: buckets.uploads.name, media: buckets.media.name };
/** Where browsers fetch HLS and posters (CloudFront's own host until an alias is added). */
export const mediaDomain = cdn.distribution.domainName;
export const mediaKeyPairId = cdn.publicKey.id;
export const mediaPipelineArn = pipeline.stateMachine.arn;
export const searchSyncArn = searchStack.stateMachine.arn;
export const replicationRoleArn = replication?.role.arn;
/** The web's OIDC client id (primary only: the tenant is managed there). */
export const auth0ClientId = tenant?.web.clientId;
