import { z } from 'zod';
import { appSyncEvents } from '#platform/aws/appsync-events.js';
import { parseConfig } from '#shared/config.js';
import type { Realtime } from '#shared/ports/realtime.js';
import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';
import { createEngagementApp } from '#services/engagement/src/http.js';
import { engagementSubscriptions } from '#services/engagement/src/subscribers.js';
import { cachedAccess, entitlementAccess } from '#services/engagement/src/watch-access.js';

/**
 * What Lambda and infra/realtime.ts put in this function's environment: the region (the counter
 * shard this stack adds to), the Event API's HTTP domain, the role's credentials for SigV4, and
 * where entitlement answers.
 */
const EngagementEnv = z.object({
  AWS_REGION: z.string().min(1),
  APPSYNC_HTTP_DOMAIN: z.string().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  /** The entitlement API of this region (infra/index.ts), asked as the viewer before a position is kept. */
  ENTITLEMENT_API_URL: z.url(),
});

/** AWS composition root of the engagement service: the same Hono app, on DynamoDB, Auth0 and AppSync Events. */
const deps = awsServiceDeps(process.env);
const env = parseConfig(EngagementEnv, process.env);

const realtime: Realtime =
  env.APPSYNC_HTTP_DOMAIN && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? appSyncEvents({
        httpDomain: env.APPSYNC_HTTP_DOMAIN,
        region: env.AWS_REGION,
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        },
      })
    : {
        async publish() {
          deps.logger.warn('AppSync Events is not configured: live like counts are not pushed');
        },
      };

/** Browsers listen on AppSync Events, so the app has no `live` feed here; the fan-out is awaited. */
export const { handler, onEvent } = serviceLambda('engagement', deps, {
  app: createEngagementApp({
    ...deps,
    region: env.AWS_REGION,
    access: cachedAccess(entitlementAccess({ baseUrl: env.ENTITLEMENT_API_URL.replace(/\/$/, '') })),
  }),
  subscriptions: engagementSubscriptions({ table: deps.table, realtime, awaitFanout: true, logger: deps.logger }),
});
