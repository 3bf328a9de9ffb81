export * from './define.js';
export * as catalogEvents from './catalog.js';
export * as entitlementEvents from './entitlement.js';
export * as mediaEvents from './media.js';
export * as engagementEvents from './engagement.js';
export * as notificationEvents from './notification.js';
export * as identityEvents from './identity.js';

import * as catalog from './catalog.js';
import * as engagement from './engagement.js';
import * as entitlement from './entitlement.js';
import * as identity from './identity.js';
import * as media from './media.js';
import * as notification from './notification.js';
import type { EventDefinition } from './define.js';

/** Every event Kinema knows, for infra (bus rules) and tests (the catalog is closed). */
export const allEvents: readonly EventDefinition[] = [catalog, entitlement, media, engagement, notification, identity]
  .flatMap((module) => Object.values(module))
  .filter(
    (value): value is EventDefinition =>
      typeof value === 'object' && value !== null && 'schema' in value && 'matches' in value,
  );
