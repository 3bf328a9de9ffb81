import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { eventBridgeHandler } from '#platform/aws/event-consumer.js';
import { awsServiceDeps } from './service-deps.js';
import { createEngagementApp } from '#services/engagement/src/http.js';
import { engagementSubscriptions } from '#services/engagement/src/subscribers.js';

/** AWS composition root of the engagement service: the same Hono app, on DynamoDB and Auth0. */
const deps = awsServiceDeps(process.env);

/** API Gateway (HTTP API) → `/api/engagement/*`. */
export const handler = handle(new Hono().route('/api/engagement', createEngagementApp(deps)));

/** EventBridge rules built from `engagementSubscriptions()` target this export. */
export const onEvent = eventBridgeHandler({
  subscriptions: engagementSubscriptions(),
  inbox: deps.table,
  now: () => deps.clock.now(),
  logger: deps.logger,
});
