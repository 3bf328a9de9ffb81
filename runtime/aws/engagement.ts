import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';
import { createEngagementApp } from '#services/engagement/src/http.js';
import { engagementSubscriptions } from '#services/engagement/src/subscribers.js';

/** AWS composition root of the engagement service: the same Hono app, on DynamoDB and Auth0. */
const deps = awsServiceDeps(process.env);

export const { handler, onEvent } = serviceLambda('engagement', deps, {
  app: createEngagementApp(deps),
  subscriptions: engagementSubscriptions(),
});
