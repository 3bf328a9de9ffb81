import { httpApi } from './api.js';
import { auth0Tenant } from './auth0.js';
import { archive, bus } from './bus.js';
import { loadStackConfig } from './config.js';
import { outboxRelay } from './outbox.js';
import { deployServices } from './services.js';
import { SERVICE_NAMES, serviceTables } from './tables.js';

// The composition root of one region's stack: config is read here, once.
const config = loadStackConfig();

const tables = serviceTables(config);
for (const service of SERVICE_NAMES) outboxRelay(service, tables[service], config);
deployServices(config, tables);
const tenant = config.role === 'primary' ? auth0Tenant(config) : undefined;

export const region = config.region;
export const role = config.role;
export const apiUrl = httpApi.apiEndpoint;
export const busName = bus.name;
export const busArchiveName = archive.name;
export const tableNames = Object.fromEntries(SERVICE_NAMES.map((service) => [service, tables[service].name]));
/** The web's OIDC client id (primary only: the tenant is managed there). */
export const auth0ClientId = tenant?.web.clientId;
